import type pg from 'pg';
import { AuditEvent, PendingConfirmation, type ConsumeOutcome, type NewAuditEvent, type Store } from './types.js';

/**
 * Statements kept to what PostgreSQL and CockroachDB run the same way (DESIGN.md §4):
 * gen_random_uuid() keys, IF NOT EXISTS, INSERT ... ON CONFLICT, one UPDATE ... WHERE state =
 * 'pending' ... RETURNING to consume, TIMESTAMPTZ/JSONB/TEXT types; no advisory locks, no
 * LISTEN/NOTIFY, no SERIAL (CockroachDB's is not sequential), no stored procedures.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS crdb_tls_confirmations (
     id TEXT PRIMARY KEY,
     tool TEXT NOT NULL,
     input_hash TEXT NOT NULL,
     assessment JSONB NOT NULL,
     requester TEXT NOT NULL,
     created_at TIMESTAMPTZ NOT NULL,
     expires_at TIMESTAMPTZ NOT NULL,
     state TEXT NOT NULL,
     consumed_by TEXT,
     consumed_at TIMESTAMPTZ
   )`,
  `CREATE TABLE IF NOT EXISTS crdb_tls_audit (
     id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
     at TIMESTAMPTZ NOT NULL,
     event TEXT NOT NULL,
     tool TEXT NOT NULL,
     requester TEXT NOT NULL,
     confirmer TEXT,
     severity TEXT,
     confirmation_id TEXT,
     input_hash TEXT NOT NULL,
     detail JSONB NOT NULL
   )`,
  'CREATE INDEX IF NOT EXISTS crdb_tls_audit_at_idx ON crdb_tls_audit (at)',
];

// Two replicas creating the same table at once: PostgreSQL may answer 23505 (pg_type unique
// index), 42P07 (relation exists) or 42710 (its row type exists) to the loser; CockroachDB may
// ask to retry (40001).
const RACE_CODES = new Set(['23505', '42P07', '42710', '40001']);

async function migrate(pool: pg.Pool): Promise<void> {
  for (const statement of MIGRATIONS) {
    for (let attempt = 1; ; attempt++) {
      try {
        await pool.query(statement);
        break;
      } catch (error) {
        if (attempt >= 5 || !RACE_CODES.has((error as { code?: string }).code ?? '')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }
}

const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));

function toConfirmation(row: Record<string, unknown>): PendingConfirmation {
  return PendingConfirmation.parse({ ...row, created_at: iso(row.created_at), expires_at: iso(row.expires_at), consumed_by: row.consumed_by ?? null });
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;

  private constructor(private readonly pool: pg.Pool) {}

  /** Connects and creates the schema; safe when several replicas start at once. */
  static async open(connectionString: string, poolOptions: pg.PoolConfig = {}): Promise<PostgresStore> {
    const { default: pgModule } = await import('pg');
    const pool = new pgModule.Pool({ connectionString, max: 4, ...poolOptions });
    // An idle connection the server drops (restart, failover) must not crash the process;
    // the pool replaces it on the next query.
    pool.on('error', () => undefined);
    try {
      await migrate(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresStore(pool);
  }

  async saveConfirmation(c: PendingConfirmation): Promise<void> {
    await this.pool.query(
      `INSERT INTO crdb_tls_confirmations (id, tool, input_hash, assessment, requester, created_at, expires_at, state, consumed_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
      [c.id, c.tool, c.input_hash, JSON.stringify(c.assessment), c.requester, c.created_at, c.expires_at, c.state, c.consumed_by],
    );
  }

  async consumeConfirmation({ id, tool, inputHash, consumer, now }: { id: string; tool: string; inputHash: string; consumer: string; now: Date }): Promise<ConsumeOutcome> {
    // The one statement that decides who runs the action: of concurrent callers, one gets the row.
    const consumed = await this.pool.query(
      `UPDATE crdb_tls_confirmations SET state = 'consumed', consumed_by = $4, consumed_at = $5
       WHERE id = $1 AND state = 'pending' AND tool = $2 AND input_hash = $3 AND expires_at > $5
       RETURNING id, tool, input_hash, assessment, requester, created_at, expires_at, state, consumed_by`,
      [id, tool, inputHash, consumer, now.toISOString()],
    );
    if (consumed.rows[0]) return { ok: true, confirmation: toConfirmation(consumed.rows[0]) };
    const found = await this.pool.query('SELECT tool, input_hash, state, expires_at FROM crdb_tls_confirmations WHERE id = $1', [id]);
    const row = found.rows[0];
    if (!row) return { ok: false, reason: 'not_found' };
    if (row.state === 'consumed') return { ok: false, reason: 'already_used' };
    if (row.state === 'declined') return { ok: false, reason: 'declined' };
    if (new Date(row.expires_at) <= now) return { ok: false, reason: 'expired' };
    return { ok: false, reason: 'other_input' };
  }

  async declineConfirmation(id: string, by: string): Promise<void> {
    await this.pool.query(`UPDATE crdb_tls_confirmations SET state = 'declined', consumed_by = $2 WHERE id = $1 AND state = 'pending'`, [id, by]);
  }

  async appendAudit(event: NewAuditEvent): Promise<AuditEvent> {
    const at = event.at ?? new Date().toISOString();
    const result = await this.pool.query(
      `INSERT INTO crdb_tls_audit (at, event, tool, requester, confirmer, severity, confirmation_id, input_hash, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [at, event.event, event.tool, event.requester, event.confirmer, event.severity, event.confirmation_id, event.input_hash, JSON.stringify(event.detail)],
    );
    return { ...event, id: String(result.rows[0].id), at };
  }

  async recentAudit(limit: number, tool?: string): Promise<AuditEvent[]> {
    const result = await this.pool.query(
      `SELECT id, at, event, tool, requester, confirmer, severity, confirmation_id, input_hash, detail FROM crdb_tls_audit
       WHERE ($2::TEXT IS NULL OR tool = $2) ORDER BY at DESC, id LIMIT $1`,
      [limit, tool ?? null],
    );
    return result.rows.map((row) => AuditEvent.parse({ ...row, id: String(row.id), at: iso(row.at) }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
