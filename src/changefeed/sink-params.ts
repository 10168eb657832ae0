/**
 * The query parameters each changefeed sink reads, and which of them carry TLS material or
 * secrets (reference §5.1, changefeedbase/options.go; SASL rules from kafkaauth/*.go).
 */

/** A sink this tool builds and checks end to end. */
export type SinkKind = 'kafka' | 'webhook';
/** Where a URI sits in a changefeed: the INTO sink, or the confluent_schema_registry option. */
export type Endpoint = 'sink' | 'schema_registry';

/** Base64 of a whole PEM file (reference §5.2). */
const PEM_PARAMS = ['ca_cert', 'client_cert', 'client_key'] as const;
export type PemParam = (typeof PEM_PARAMS)[number];
export const isPemParam = (name: string): name is PemParam => (PEM_PARAMS as readonly string[]).includes(name);

/** Decoded with base64.StdEncoding but not PEM: kafkaauth/sasl_oauth.go `u.DecodeBase64(SinkParamSASLClientSecret)`. */
export const BASE64_SECRET_PARAMS = ['sasl_client_secret'] as const;

const KAFKA_TLS_PARAMS = ['tls_enabled', 'insecure_tls_skip_verify', ...PEM_PARAMS] as const;
const KAFKA_SASL_PARAMS = [
  'sasl_enabled', 'sasl_handshake', 'sasl_user', 'sasl_password', 'sasl_mechanism',
  'sasl_client_id', 'sasl_client_secret', 'sasl_token_url', 'sasl_scopes', 'sasl_grant_type',
  'sasl_aws_iam_role_arn', 'sasl_aws_region', 'sasl_aws_iam_session_name',
] as const;
/** Every name the Kafka sink consumes; anything left over fails with `unknown kafka sink query parameters: [...]`. */
export const KAFKA_PARAMS: readonly string[] = [...KAFKA_TLS_PARAMS, ...KAFKA_SASL_PARAMS, 'topic_prefix', 'topic_name', 'schema_topic'];
/**
 * GSSAPI (Kerberos) is registered in the newest kafkaauth/sasl_kerberos.go, which reads
 * `sasl_kerberos_*` parameters; it is not in the reference and the full list of names is
 * UNCONFIRMED, so those names are accepted without checking them.
 */
export const KAFKA_NEWEST_PARAM_PREFIX = 'sasl_kerberos_';

/**
 * The webhook sink consumes these and forwards every other query parameter to the endpoint
 * (sink_webhook_v2.go `makeWebhookSinkClient` deletes only these four before sending).
 */
const WEBHOOK_PARAMS: readonly string[] = ['insecure_tls_skip_verify', ...PEM_PARAMS];

/** schema_registry.go `getAndDeleteParams`: RegistryParam* plus `timeout`; the rest goes to the registry. */
const REGISTRY_PARAMS: readonly string[] = [...PEM_PARAMS, 'timeout'];

export const BOOL_PARAMS: readonly string[] = ['tls_enabled', 'insecure_tls_skip_verify', 'sasl_enabled', 'sasl_handshake'];

/** Mechanisms of the reference (§5.1); GSSAPI only in the newest versions (kafkaauth/sasl_kerberos.go). */
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER', 'AWS_MSK_IAM'] as const;
export const NEWEST_SASL_MECHANISMS = ['GSSAPI'] as const;

/** kafkaauth/*.go `validateParams`: what each mechanism requires once sasl_enabled=true. */
export const SASL_REQUIRED_PARAMS: Record<string, readonly string[]> = {
  PLAIN: ['sasl_user', 'sasl_password'],
  'SCRAM-SHA-256': ['sasl_user', 'sasl_password'],
  'SCRAM-SHA-512': ['sasl_user', 'sasl_password'],
  OAUTHBEARER: ['sasl_client_id', 'sasl_client_secret', 'sasl_token_url'],
  AWS_MSK_IAM: ['sasl_aws_region', 'sasl_aws_iam_role_arn', 'sasl_aws_iam_session_name'],
};
/** kafkaauth.go `validateNoOAuthOnlyParams`. */
export const OAUTH_ONLY_PARAMS: readonly string[] = ['sasl_client_id', 'sasl_client_secret', 'sasl_token_url', 'sasl_grant_type', 'sasl_scopes'];
/** kafkaauth.go `maybeHelpfulErrorMessage`: SASL names that need sasl_enabled=true. */
export const SASL_ONLY_PARAMS: readonly string[] = KAFKA_SASL_PARAMS.filter((p) => !['sasl_enabled', 'sasl_handshake', 'sasl_mechanism'].includes(p));

/**
 * Values that must never reach a log, a Slack message or default output: the client key (CockroachDB
 * itself redacts it in job descriptions), passwords and secrets, including those of
 * confluent-cloud:// and azure-event-hub:// URIs.
 */
const SECRET_PARAMS = new Set(['client_key', 'sasl_password', 'sasl_client_secret', 'api_secret', 'shared_access_key']);
export const isSecretParam = (name: string) => SECRET_PARAMS.has(name.toLowerCase()) || /password|secret|token(?!_url)/i.test(name);

/** Every parameter name some sink or the registry reads: a name outside it after a secret is a piece of that secret. */
export const ALL_KNOWN_PARAMS: ReadonlySet<string> = new Set([...KAFKA_PARAMS, ...WEBHOOK_PARAMS, ...REGISTRY_PARAMS, 'api_key', 'api_secret', 'shared_access_key_name', 'shared_access_key']);

export function isKnownParam(name: string, sink: SinkKind | 'schema_registry'): boolean {
  if (sink === 'kafka') return KAFKA_PARAMS.includes(name) || name.startsWith(KAFKA_NEWEST_PARAM_PREFIX);
  if (sink === 'webhook') return WEBHOOK_PARAMS.includes(name);
  return REGISTRY_PARAMS.includes(name);
}

/** What `INTO '<scheme>://...'` means to CockroachDB (changefeedbase/options.go SinkScheme*). */
export type SchemeMeaning = SinkKind | 'webhook_http' | 'cloud_storage' | 'kafka_family' | 'external_connection' | 'other';

export function meaningOfScheme(scheme: string): SchemeMeaning {
  switch (scheme.toLowerCase()) {
    case 'kafka':
      return 'kafka';
    case 'webhook-https':
      return 'webhook';
    case 'webhook-http':
      return 'webhook_http';
    // `https://` as a changefeed sink is the cloud-storage HTTP sink, not a webhook.
    case 'http':
    case 'https':
    case 's3':
    case 'gs':
    case 'azure':
    case 'azure-storage':
    case 'nodelocal':
    case 'userfile':
      return 'cloud_storage';
    // Kafka with TLS and SASL PLAIN forced; ca_cert is refused there (reference §5.1).
    case 'confluent-cloud':
    case 'azure-event-hub':
      return 'kafka_family';
    case 'external':
      return 'external_connection';
    default:
      return 'other';
  }
}
