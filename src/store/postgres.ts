import type pg from 'pg';
import { AuditEvent, CONFIRMATION_GRACE_MS, CONFIRMATION_ID, PENDING_CALL_GRACE_MS, PendingCall, PendingConfirmation, SavedPlan, StepProgress, type ConfirmationApproval, type ConsumeOutcome, type NewAuditEvent, type StepUpdate, type Store } from './types.js';

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
  // Rotation plans: the plan is written once; each step's progress is its own row, so that moving
  // a step on is one compare-and-set UPDATE (status = ANY(...)) in both engines.
  `CREATE TABLE IF NOT EXISTS crdb_tls_plans (
     id TEXT PRIMARY KEY,
     created_at TIMESTAMPTZ NOT NULL,
     created_by TEXT NOT NULL,
     plan JSONB NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS crdb_tls_plan_steps (
     plan_id TEXT NOT NULL,
     number INT NOT NULL,
     status TEXT NOT NULL,
     updated_at TIMESTAMPTZ,
     record JSONB NOT NULL,
     PRIMARY KEY (plan_id, number)
   )`,
  `CREATE TABLE IF NOT EXISTS crdb_tls_pending_calls (
     confirmation_id TEXT PRIMARY KEY,
     face TEXT NOT NULL,
     payload JSONB NOT NULL,
     expires_at TIMESTAMPTZ NOT NULL
   )`,
  // Who may redeem a confirmation and a person's approval of it (issue 13). A row from before has
  // no binding: it parses as no confirmation, so it can never be redeemed by a guess.
  'ALTER TABLE crdb_tls_confirmations ADD COLUMN IF NOT EXISTS binding JSONB',
  'ALTER TABLE crdb_tls_confirmations ADD COLUMN IF NOT EXISTS approval JSONB',
  'CREATE INDEX IF NOT EXISTS crdb_tls_confirmations_expires_idx ON crdb_tls_confirmations (expires_at)',
  // claimOnce: one row per claimed key (a Slack request's signature), gone after it expires.
  `CREATE TABLE IF NOT EXISTS crdb_tls_claims (
     key TEXT PRIMARY KEY,
     expires_at TIMESTAMPTZ NOT NULL
   )`,
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

const CONFIRMATION_COLUMNS = 'id, tool, input_hash, assessment, requester, created_at, expires_at, state, consumed_by, binding, approval';

function toConfirmation(row: Record<string, unknown>): PendingConfirmation | undefined {
  const parsed = PendingConfirmation.safeParse({ ...row, created_at: iso(row.created_at), expires_at: iso(row.expires_at), consumed_by: row.consumed_by ?? null, approval: row.approval ?? null });
  return parsed.success ? parsed.data : undefined;
}

function toStep(row: Record<string, unknown>): StepProgress {
  // CockroachDB's INT is 64-bit, which pg hands back as a string.
  return StepProgress.parse({ ...row, number: Number(row.number), updated_at: row.updated_at == null ? null : iso(row.updated_at) });
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
    await this.purgeConfirmations(new Date());
    await this.pool.query(
      `INSERT INTO crdb_tls_confirmations (id, tool, input_hash, assessment, requester, created_at, expires_at, state, consumed_by, binding, approval)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
      [c.id, c.tool, c.input_hash, JSON.stringify(c.assessment), c.requester, c.created_at, c.expires_at, c.state, c.consumed_by, JSON.stringify(c.binding), c.approval ? JSON.stringify(c.approval) : null],
    );
  }

  /** Confirmations that expired more than an hour ago go (DESIGN.md §4: the store does not grow without end). */
  async purgeConfirmations(now: Date): Promise<void> {
    await this.pool.query('DELETE FROM crdb_tls_confirmations WHERE expires_at < $1', [new Date(now.getTime() - CONFIRMATION_GRACE_MS).toISOString()]);
  }

  async getConfirmation(id: string): Promise<PendingConfirmation | undefined> {
    if (!CONFIRMATION_ID.test(id)) return undefined;
    const found = await this.pool.query(`SELECT ${CONFIRMATION_COLUMNS} FROM crdb_tls_confirmations WHERE id = $1`, [id]);
    return found.rows[0] ? toConfirmation(found.rows[0]) : undefined;
  }

  async openConfirmations(now: Date): Promise<PendingConfirmation[]> {
    const found = await this.pool.query(`SELECT ${CONFIRMATION_COLUMNS} FROM crdb_tls_confirmations WHERE state IN ('pending', 'approved') AND expires_at > $1 ORDER BY created_at`, [now.toISOString()]);
    return found.rows.map(toConfirmation).filter((c): c is PendingConfirmation => c !== undefined);
  }

  async consumeConfirmation({ id, tool, inputHash, consumer, now, from = ['pending'] }: { id: string; tool: string; inputHash: string; consumer: string; now: Date; from?: Array<'pending' | 'approved'> }): Promise<ConsumeOutcome> {
    if (!CONFIRMATION_ID.test(id)) return { ok: false, reason: 'not_found' };
    // The one statement that decides who runs the action: of concurrent callers, one gets the row.
    const consumed = await this.pool.query(
      `UPDATE crdb_tls_confirmations SET state = 'consumed', consumed_by = $4, consumed_at = $5
       WHERE id = $1 AND state = ANY($6::TEXT[]) AND tool = $2 AND input_hash = $3 AND expires_at > $5 AND binding IS NOT NULL
       RETURNING ${CONFIRMATION_COLUMNS}`,
      [id, tool, inputHash, consumer, now.toISOString(), from],
    );
    const done = consumed.rows[0] ? toConfirmation(consumed.rows[0]) : undefined;
    if (done) return { ok: true, confirmation: done };
    const found = await this.pool.query('SELECT tool, input_hash, state, expires_at, binding FROM crdb_tls_confirmations WHERE id = $1', [id]);
    const row = found.rows[0];
    if (!row || row.binding == null) return { ok: false, reason: 'not_found' };
    if (row.state === 'consumed') return { ok: false, reason: 'already_used' };
    if (row.state === 'declined') return { ok: false, reason: 'declined' };
    if (new Date(row.expires_at) <= now) return { ok: false, reason: 'expired' };
    if (row.tool !== tool || row.input_hash !== inputHash) return { ok: false, reason: 'other_input' };
    return { ok: false, reason: 'not_approved' };
  }

  async approveConfirmation(id: string, approval: ConfirmationApproval, now: Date): Promise<boolean> {
    if (!CONFIRMATION_ID.test(id)) return false;
    const approved = await this.pool.query(
      `UPDATE crdb_tls_confirmations SET state = 'approved', approval = $2 WHERE id = $1 AND state = 'pending' AND expires_at > $3 AND binding IS NOT NULL RETURNING id`,
      [id, JSON.stringify(approval), now.toISOString()],
    );
    return (approved.rowCount ?? 0) > 0;
  }

  async declineConfirmation(id: string, by: string): Promise<boolean> {
    if (!CONFIRMATION_ID.test(id)) return false;
    const declined = await this.pool.query(`UPDATE crdb_tls_confirmations SET state = 'declined', consumed_by = $2 WHERE id = $1 AND state IN ('pending', 'approved') RETURNING id`, [id, by]);
    return (declined.rowCount ?? 0) > 0;
  }

  async savePendingCall(call: PendingCall): Promise<void> {
    const staleBefore = new Date(Date.now() - PENDING_CALL_GRACE_MS).toISOString();
    await this.pool.query('DELETE FROM crdb_tls_pending_calls WHERE expires_at < $1', [staleBefore]);
    await this.pool.query(
      `INSERT INTO crdb_tls_pending_calls (confirmation_id, face, payload, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (confirmation_id) DO NOTHING`,
      [call.confirmation_id, call.face, JSON.stringify(call.payload), call.expires_at],
    );
  }

  async pendingCall(confirmationId: string): Promise<PendingCall | undefined> {
    const staleBefore = new Date(Date.now() - PENDING_CALL_GRACE_MS).toISOString();
    const found = await this.pool.query('SELECT confirmation_id, face, payload, expires_at FROM crdb_tls_pending_calls WHERE confirmation_id = $1 AND expires_at >= $2', [confirmationId, staleBefore]);
    const row = found.rows[0];
    return row ? PendingCall.parse({ ...row, expires_at: iso(row.expires_at) }) : undefined;
  }

  async claimOnce(key: string, ttlMs: number, now: Date = new Date()): Promise<boolean> {
    await this.pool.query('DELETE FROM crdb_tls_claims WHERE expires_at <= $1', [now.toISOString()]);
    // One statement decides: a new key is inserted, an expired one taken over, a live one left alone (no row back).
    const claimed = await this.pool.query(
      `INSERT INTO crdb_tls_claims (key, expires_at) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE crdb_tls_claims.expires_at <= $3
       RETURNING key`,
      [key, new Date(now.getTime() + ttlMs).toISOString(), now.toISOString()],
    );
    return (claimed.rowCount ?? 0) > 0;
  }

  async savePlan(plan: SavedPlan): Promise<void> {
    // Steps first: a crash in between leaves steps without a plan, which nothing can load.
    if (plan.steps.length > 0) {
      const values: unknown[] = [];
      const rows = plan.steps.map((step, i) => {
        values.push(plan.id, step.number, step.status, step.updated_at, JSON.stringify(step.record));
        const base = i * 5;
        return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5})`;
      });
      await this.pool.query(`INSERT INTO crdb_tls_plan_steps (plan_id, number, status, updated_at, record) VALUES ${rows.join(', ')} ON CONFLICT (plan_id, number) DO NOTHING`, values);
    }
    await this.pool.query(
      'INSERT INTO crdb_tls_plans (id, created_at, created_by, plan) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
      [plan.id, plan.created_at, plan.created_by, JSON.stringify(plan.plan)],
    );
  }

  async loadPlan(id: string): Promise<SavedPlan | undefined> {
    const found = await this.pool.query('SELECT id, created_at, created_by, plan FROM crdb_tls_plans WHERE id = $1', [id]);
    const row = found.rows[0];
    if (!row) return undefined;
    const steps = await this.pool.query('SELECT number, status, updated_at, record FROM crdb_tls_plan_steps WHERE plan_id = $1 ORDER BY number', [id]);
    return SavedPlan.parse({ ...row, created_at: iso(row.created_at), steps: steps.rows.map(toStep) });
  }

  async updateStep(update: StepUpdate): Promise<StepProgress | undefined> {
    // One statement decides: of two concurrent callers moving the same step, one gets the row.
    const updated = await this.pool.query(
      `UPDATE crdb_tls_plan_steps SET status = $3, updated_at = $4, record = record || $5::JSONB
       WHERE plan_id = $1 AND number = $2 AND status = ANY($6::TEXT[])
       RETURNING number, status, updated_at, record`,
      [update.planId, update.number, update.status, update.now.toISOString(), JSON.stringify(update.record), update.from],
    );
    return updated.rows[0] ? toStep(updated.rows[0]) : undefined;
  }

  async appendAudit(event: NewAuditEvent): Promise<AuditEvent> {
    // The database's clock_timestamp() (microseconds, one clock for every replica) orders events
    // that the same millisecond would otherwise leave in random order.
    const result = await this.pool.query(
      `INSERT INTO crdb_tls_audit (at, event, tool, requester, confirmer, severity, confirmation_id, input_hash, detail)
       VALUES (COALESCE($1::TIMESTAMPTZ, clock_timestamp()), $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, at`,
      [event.at ?? null, event.event, event.tool, event.requester, event.confirmer, event.severity, event.confirmation_id, event.input_hash, JSON.stringify(event.detail)],
    );
    return { ...event, id: String(result.rows[0].id), at: iso(result.rows[0].at) };
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
