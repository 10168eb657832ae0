import type { ClientId } from '../../connection/clients.js';
import { CLIENT_FAMILY } from '../../connection/clients.js';
import type { DiagnosisCode } from '../codes.js';
import { clientCertExpired, clientCertFileMissing, clientCertRequired, clientCertUntrusted, clientCertUserMismatch, clientKeyFormat, clientKeyMismatch, clientKeyPermissions } from './client-cert.js';
import { fixContext, type Cause, type FixContext, type FixStep, type GuideTable, type NextTool } from './context.js';
import { fillInNote } from '../../core/shell.js';
import { changefeedSinkTls, passwordAuthFailed, unknownGuide } from './other.js';
import { caFileMissing, certNotYetValid, certWrongUsage, hostnameMismatch, legacyCommonName, serverCertExpired, untrustedServerCa } from './server-cert.js';
import { clusterRouting, connectionDropped, notTlsEndpoint, serverRequiresTls, serverTlsDisabled, tlsVersionMismatch } from './transport.js';

/** One guide per diagnosis code: explanation, ranked causes, fix steps and follow-up tools. */
export const GUIDES: GuideTable = {
  untrusted_server_ca: untrustedServerCa,
  ca_file_missing: caFileMissing,
  hostname_mismatch: hostnameMismatch,
  server_cert_expired: serverCertExpired,
  cert_not_yet_valid: certNotYetValid,
  client_cert_untrusted: clientCertUntrusted,
  client_cert_expired: clientCertExpired,
  client_cert_required: clientCertRequired,
  client_cert_user_mismatch: clientCertUserMismatch,
  client_key_permissions: clientKeyPermissions,
  client_key_mismatch: clientKeyMismatch,
  client_key_format: clientKeyFormat,
  client_cert_file_missing: clientCertFileMissing,
  server_tls_disabled: serverTlsDisabled,
  server_requires_tls: serverRequiresTls,
  connection_dropped: connectionDropped,
  not_tls_endpoint: notTlsEndpoint,
  cluster_routing: clusterRouting,
  tls_version_mismatch: tlsVersionMismatch,
  cert_wrong_usage: certWrongUsage,
  legacy_common_name: legacyCommonName,
  password_auth_failed: passwordAuthFailed,
  changefeed_sink_tls: changefeedSinkTls,
  unknown: unknownGuide,
};

const number = <T extends object>(items: T[], key: 'step' | 'rank') => items.map(withFillIns).map((item, i) => ({ [key]: i + 1, ...item }) as T & Record<typeof key, number>);

/** A step or cause whose command needs a value nobody gave says which, in its own text (src/core/shell.ts). */
export function withFillIns<T extends { command?: string; action?: string; confirm?: string }>(item: T): T {
  const note = item.command && item.command.includes('${') ? fillInNote(item.command) : '';
  if (!note) return item;
  if (item.action !== undefined) return { ...item, action: item.action + note };
  if (item.confirm !== undefined) return { ...item, confirm: item.confirm + note };
  return item;
}

function withClient(client: ClientId | null | undefined, context: Partial<FixContext>): FixContext {
  const c = client ?? context.client ?? null;
  return fixContext({ ...context, client: c, family: context.family ?? (c ? CLIENT_FAMILY[c] : null) });
}

/**
 * The numbered fix steps for a code and client — the same steps diagnose_error gives — for any
 * caller that found the fault another way (a probe, a failed test login). Context fields are
 * optional; whatever is known (host, port, user, file paths, routing id) makes the steps exact.
 */
export function fixStepsFor(code: DiagnosisCode, client?: ClientId | null, context: Partial<FixContext> = {}): FixStep[] {
  return number(GUIDES[code].fixes(withClient(client, context)), 'step');
}

export interface CodeGuidance {
  explanation: string;
  causes: Cause[];
  fix_steps: FixStep[];
  next_tools: NextTool[];
  confirm: string;
}

/** Everything a guide says about a code for this context (explanation, causes, steps, tools). */
export function guidanceFor(code: DiagnosisCode, client?: ClientId | null, context: Partial<FixContext> = {}): CodeGuidance {
  const ctx = withClient(client, context);
  const guide = GUIDES[code];
  return {
    explanation: guide.explanation(ctx),
    causes: number(guide.causes(ctx), 'rank'),
    fix_steps: number(guide.fixes(ctx), 'step'),
    next_tools: guide.nextTools(ctx),
    confirm: guide.confirm(ctx),
  };
}

export type { FixContext } from './context.js';
