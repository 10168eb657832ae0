/** The CLI's view in `crdb-tls config check`: which files and hosts its commands reach, and its defaults. */
import os from 'node:os';
import path from 'node:path';
import type { FacePlan, FaceView } from './config-check-report.js';

export function cliFacePlan(view: FaceView, defaults: { certsDir: string | undefined; caKey: string | undefined }): FacePlan {
  const { gateOk, threshold, reach, passwordsTo, cloudLine, store, cliConfig } = view;
  const { certsDir, caKey } = defaults;
  return {
    face: 'cli',
    would_start: gateOk,
    lines: [
      cliConfig.roots ? `file commands limited to ${cliConfig.roots.join(', ')}` : 'file commands may touch whatever this OS user may (CRDB_TLS_ROOTS unset)',
      `confirmation: ${threshold}; asked at the terminal, or --yes; --dry-run only assesses`,
      `network: ${reach('cli')}; environment password to ${passwordsTo('cli')}`,
      `defaults: --certs-dir ${certsDir ?? path.join(os.homedir(), '.cockroach-certs')}, --ca-key ${caKey ?? '(none: give --ca-key)'}`,
      cloudLine,
      store,
    ],
  };
}
