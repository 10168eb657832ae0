/**
 * The diagnosis codes: a stable public contract (shared/diagnosis-codes.md). Slack, MCP, tests
 * and docs all use these strings; add one only when a real error cannot be told apart otherwise.
 */
export const DIAGNOSIS_CODES = [
  'untrusted_server_ca',
  'ca_file_missing',
  'hostname_mismatch',
  'server_cert_expired',
  'cert_not_yet_valid',
  'client_cert_untrusted',
  'client_cert_expired',
  'client_cert_required',
  'client_cert_user_mismatch',
  'client_key_permissions',
  'client_key_mismatch',
  'client_key_format',
  'client_cert_file_missing',
  'server_tls_disabled',
  'server_requires_tls',
  'connection_dropped',
  'not_tls_endpoint',
  'cluster_routing',
  'tls_version_mismatch',
  'cert_wrong_usage',
  'legacy_common_name',
  'password_auth_failed',
  'changefeed_sink_tls',
  'unknown',
] as const;

export type DiagnosisCode = (typeof DIAGNOSIS_CODES)[number];

/** One line a person reads first (the "what is wrong" column of diagnosis-codes.md). */
export const CODE_TITLES: Record<DiagnosisCode, string> = {
  untrusted_server_ca: 'The client does not trust the CA that signed the server certificate',
  ca_file_missing: 'The CA file the client was told to use does not exist or cannot be read',
  hostname_mismatch: 'The server certificate does not cover the host name or IP the client dialled',
  server_cert_expired: 'The server certificate (or its CA) has expired',
  cert_not_yet_valid: 'A certificate is not valid yet (its start date is in the future)',
  client_cert_untrusted: 'The server rejects the client certificate: it is signed by a CA the cluster does not trust',
  client_cert_expired: 'The server rejects the client certificate because it has expired',
  client_cert_required: 'The server requires a client certificate and none was sent',
  client_cert_user_mismatch: 'The client certificate is trusted but names another SQL user',
  client_key_permissions: 'The private key file is readable by group or others and is refused',
  client_key_mismatch: 'The private key does not belong to the certificate',
  client_key_format: 'The key is in a format this client cannot read',
  client_cert_file_missing: 'The client certificate or key file in the settings is missing or unreadable',
  server_tls_disabled: 'The client requires TLS but the server is not serving it',
  server_requires_tls: 'The client connected without TLS to a cluster that requires it',
  connection_dropped: 'The connection was cut before or during the TLS handshake',
  not_tls_endpoint: 'The port answers, but not with PostgreSQL wire protocol / TLS',
  cluster_routing: 'CockroachDB Cloud cannot tell which cluster is meant (no SNI, no cluster identifier)',
  tls_version_mismatch: 'Client and server share no TLS version, cipher suite or application protocol',
  cert_wrong_usage: 'A certificate is used for a purpose its key usages do not allow',
  legacy_common_name: 'The certificate has no Subject Alternative Names and the client refuses CN-only certificates',
  password_auth_failed: 'Not a TLS fault: the user or password is wrong',
  changefeed_sink_tls: 'A changefeed cannot reach its Kafka / webhook sink over TLS',
  unknown: 'Nothing recognised in the text',
};

export type { Deployment } from '../connection/clients.js';
