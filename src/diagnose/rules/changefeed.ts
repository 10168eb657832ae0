import { signal, type Signal } from './types.js';

/** Changefeed sink URIs with TLS material (ref §5): encoding, pairing and trust of ca_cert/client_cert/client_key. */
export const CHANGEFEED_SIGNALS: Signal[] = [
  signal('cdc.base64', 'must be base 64 encoded', { changefeed_sink_tls: 0.93 }, 'ref §5.2 (sink_url.go DecodeBase64FromString)'),
  signal('cdc.illegal-base64', 'illegal base64 data at input byte', { changefeed_sink_tls: 0.85 }, 'ref §5.2 (Go encoding/base64)'),
  signal('cdc.requires-tls-enabled', 'requires tls_enabled=true', { changefeed_sink_tls: 0.95 }, 'ref §5.2'),
  signal('cdc.cert-needs-key', 'client_cert requires client_key to be set', { changefeed_sink_tls: 0.95 }, 'ref §5.2'),
  signal('cdc.key-needs-cert', 'client_key requires client_cert to be set', { changefeed_sink_tls: 0.95 }, 'ref §5.2'),
  signal('cdc.invalid-client-cert', 'invalid client certificate data provided', { changefeed_sink_tls: 0.93 }, 'ref §5.2'),
  signal('cdc.parse-cert-data', 'failed to parse certificate data', { changefeed_sink_tls: 0.85 }, 'ref §5.2 (webhook / schema registry ca_cert)'),
  // sarama's ErrOutOfBrokers: no broker answered. Alone it is reachability (address, firewall,
  // advertised.listeners); with a TLS error next to it the sink's TLS settings (engine.ts).
  signal('cdc.no-brokers', 'client has run out of available brokers', { connection_dropped: 0.65, changefeed_sink_tls: 0.5 }, 'IBM/sarama errors.go ErrOutOfBrokers'),
  signal('cdc.unknown-kafka-params', 'unknown kafka sink query parameters', { changefeed_sink_tls: 0.85 }, 'ref §5.1'),
  signal('cdc.webhook-https', 'this sink requires webhook-https', { changefeed_sink_tls: 0.92 }, 'ref §5.1'),
  signal('cdc.tls-enabled-bool', 'param tls_enabled must be a bool', { changefeed_sink_tls: 0.9 }, 'ref §5.2'),
  signal('cdc.skip-verify-bool', 'param insecure_tls_skip_verify must be a bool', { changefeed_sink_tls: 0.9 }, 'ref §5.2'),
  signal('cdc.registry-pair', 'client_cert and client_key must be provided together', { changefeed_sink_tls: 0.92 }, 'ref §5.2 (schema registry)'),
  signal('cdc.sasl-user', 'sasl_user must be provided when sasl is enabled', { changefeed_sink_tls: 0.8 }, 'ref §5.2'),
  signal('cdc.sasl-password', 'sasl_password must be provided when sasl is enabled', { changefeed_sink_tls: 0.8 }, 'ref §5.2'),
  signal('cdc.sasl-enabled', 'sasl_enabled must be enabled', { changefeed_sink_tls: 0.8 }, 'ref §5.2'),
  signal('cdc.sasl-mechanism', 'param sasl_mechanism must be one of', { changefeed_sink_tls: 0.8 }, 'ref §5.2'),
  signal('cdc.sasl-unsupported', 'unsupported sasl mechanism', { changefeed_sink_tls: 0.75 }, 'ref §5.2 (v2 sink)'),
  signal('cdc.invalid-query-params', 'invalid query parameters', { changefeed_sink_tls: 0.5 }, 'ref §5.1 (confluent-cloud / azure-event-hub with ca_cert)'),
];
