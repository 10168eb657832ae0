import { ToolError } from '../core/errors.js';
import { readClientCaNames } from './probe/client-ca-names.js';
import { connect, sslRequest } from './probe/connect.js';
import { tlsHandshake } from './probe/handshake.js';
import { checkLocalFiles } from './probe/local.js';
import type { ProbeOptions, ProbeReport } from './probe/report.js';
import { Aborted, startRun } from './probe/run.js';
import { tryLogin } from './probe/startup.js';
import { verifyServer } from './probe/verify.js';

/**
 * probe_server: what `openssl s_client -starttls postgres` and certigo's postgres probe show, as
 * data. One TCP connection: the pgwire SSLRequest (exactly one byte read back), a TLS handshake
 * that accepts whatever the server presents (so the chain can be shown), verification against the
 * given CA (or Node's bundled store) and the host name done afterwards, then a StartupMessage so
 * that a client certificate refused after a TLS 1.3 handshake (the alert comes after the client's
 * Finished) is seen too. The client-CA names of a TLS 1.2 CertificateRequest are read from the
 * handshake records (tls-records.ts); when the server negotiated TLS 1.3, a second handshake capped
 * at TLS 1.2 reads them, and when the server refuses TLS 1.2, `openssl s_client` (if installed).
 *
 * Every phase has a deadline inside one overall budget (timeout_ms), and the AbortSignal ends it
 * at once. Every fault becomes a finding with a diagnosis code and the SAME fix steps that
 * diagnose_error gives for that code (src/diagnose fixStepsFor).
 *
 * This file runs the phases in order. Each phase is a file in probe/ (local.ts: the given files,
 * connect.ts: TCP and the SSLRequest, handshake.ts, verify.ts, startup.ts: the login,
 * client-ca-names.ts) and writes its part of the report (report.ts) through the shared ProbeRun
 * (run.ts); render.ts turns the report into text.
 */

export { parseOpensslCaNames } from './probe/client-ca-names.js';
export { renderProbe } from './probe/render.js';
export { DEFAULT_PROBE_TIMEOUT_MS, ProbeReport, type Material, type ProbeOptions } from './probe/report.js';

export async function probeServer(options: ProbeOptions): Promise<ProbeReport> {
  const run = startRun(options);
  const local = checkLocalFiles(run);
  try {
    const socket = await connect(run);
    if (!socket || !(await sslRequest(run, socket))) return run.finalize();
    const session = await tlsHandshake(run, socket, local);
    verifyServer(run, session, local);
    if (options.login !== false && session.secure && run.remaining() > 0) await tryLogin(run, session.secure, session.tlsErrors, local.client !== null, local.loginUser);
    if (options.clientCaNames !== false && session.reader.observation.version) await readClientCaNames(run, session.reader);
    run.progress('done', 1);
    return run.finalize();
  } catch (error) {
    for (const s of run.sockets) s.destroy();
    if (error instanceof Aborted) throw new ToolError('cancelled', `the probe of ${run.host}:${run.port} was cancelled`);
    throw error;
  }
}
