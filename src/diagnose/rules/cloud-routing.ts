import { signal, type Signal } from './types.js';

/** CockroachDB Cloud's SQL proxy cannot tell which cluster is meant (ref §4.3, SQLSTATE 08004). */
export const CLOUD_ROUTING_SIGNALS: Signal[] = [
  signal('proxy.routing-failed', 'codeparamsroutingfailed', { cluster_routing: 0.95 }, 'ref §4.3 (sqlproxyccl)'),
  signal('proxy.missing-identifier', 'missing cluster identifier', { cluster_routing: 0.95 }, 'ref §4.3 (cockroachdb/cockroach#72277, cockroachdb/docs#18014, MagicStack/asyncpg#957)'),
  signal('proxy.missing-name', 'missing cluster name in connection string', { cluster_routing: 0.95 }, 'ref §4.3 (dbgate/dbgate#191)'),
  signal('proxy.invalid-identifier', 'invalid cluster identifier', { cluster_routing: 0.93 }, 'ref §4.3 (sqlproxyccl/proxy_handler.go)'),
  signal('proxy.multiple-identifiers', 'multiple different cluster identifiers provided', { cluster_routing: 0.93 }, 'ref §4.3'),
  signal('proxy.tenant-id-hint', 'did you forget to include your tenant id in the cluster identifier', { cluster_routing: 0.93 }, 'ref §4.3'),
  signal('proxy.identifier-form', 'cluster identifiers come in the form of', { cluster_routing: 0.9 }, 'ref §4.3'),
  signal('proxy.invalid-name', 'invalid cluster name', { cluster_routing: 0.85 }, 'ref §4.3 (cockroachcloud/troubleshooting-page.md)'),
  signal('proxy.multiple-flags', 'multiple cluster flags provided', { cluster_routing: 0.9 }, 'ref §4.3'),
  signal('proxy.invalid-flag', 'invalid cluster flag', { cluster_routing: 0.9 }, 'ref §4.3'),
  signal('proxy.invalid-database-param', 'invalid database param', { cluster_routing: 0.75 }, 'ref §4.3'),
  signal('proxy.backend-config', 'rejected by backendconfigfromparams', { cluster_routing: 0.9 }, 'ref §4.3 (troubleshooting-page.md)'),
];
