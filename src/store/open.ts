import { EmbeddedStore } from './embedded.js';
import type { Store } from './types.js';

/** PostgreSQL/CockroachDB when CRDB_TLS_DATABASE_URL is set, the embedded store otherwise. */
export async function openStore(options: { databaseUrl: string | undefined; stateDir: string }): Promise<Store> {
  if (!options.databaseUrl) return new EmbeddedStore(options.stateDir);
  const { PostgresStore } = await import('./postgres.js');
  return PostgresStore.open(options.databaseUrl);
}
