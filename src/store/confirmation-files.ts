/**
 * The embedded store's confirmations: one 0600 JSON file each under `<state dir>/confirmations`
 * (0700), so that a person's `crdb-tls confirm` in another process of the same OS user sees what
 * the MCP server asked for, and its approval reaches the server. Each state change is a
 * read-check-write under the confirmation's lock directory, so that of two processes consuming
 * the same id one wins. Expired confirmations are purged an hour after they expire.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { safeJson, stateFileError, withLock, writeJsonAtomically } from './files.js';
import { CONFIRMATION_GRACE_MS, CONFIRMATION_ID, PendingConfirmation, type ConfirmationApproval, type ConsumeOutcome } from './types.js';

const CONFIRMATIONS_DIR = 'confirmations';

export class ConfirmationFiles {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, CONFIRMATIONS_DIR);
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  private async read(id: string): Promise<PendingConfirmation | undefined> {
    if (!CONFIRMATION_ID.test(id)) return undefined;
    let text: string;
    try {
      text = await fs.readFile(this.file(id), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw stateFileError(error, this.file(id), 'read a confirmation');
    }
    // A file changed by hand (or by another version) is no confirmation: unknown, never a guess.
    const parsed = PendingConfirmation.safeParse(safeJson(text));
    return parsed.success && parsed.data.id === id ? parsed.data : undefined;
  }

  private async write(confirmation: PendingConfirmation, replace: boolean): Promise<void> {
    try {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      await writeJsonAtomically(this.file(confirmation.id), confirmation, { replace });
    } catch (error) {
      if (!replace && (error as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw stateFileError(error, this.file(confirmation.id), 'save a confirmation');
    }
  }

  /** Read, decide, write, holding the id's lock: `change` returns the new record, or a value to answer without writing. */
  private async update<T>(id: string, change: (found: PendingConfirmation | undefined) => { next?: PendingConfirmation; answer: T }): Promise<T> {
    // No directory yet means no confirmation was ever saved here.
    if (!CONFIRMATION_ID.test(id) || !(await fs.stat(this.dir).catch(() => undefined))) return change(undefined).answer;
    return withLock(path.join(this.dir, `${id}.lock`), 'the confirmation', async () => {
      const { next, answer } = change(await this.read(id));
      if (next) await this.write(next, true);
      return answer;
    });
  }

  async save(confirmation: PendingConfirmation): Promise<void> {
    await this.purge(new Date());
    await this.write(confirmation, false);
  }

  get(id: string): Promise<PendingConfirmation | undefined> {
    return this.read(id);
  }

  async open(now: Date): Promise<PendingConfirmation[]> {
    const found: PendingConfirmation[] = [];
    for (const id of await this.ids()) {
      const c = await this.read(id);
      if (c && (c.state === 'pending' || c.state === 'approved') && Date.parse(c.expires_at) > now.getTime()) found.push(c);
    }
    return found.sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  consume({ id, tool, inputHash, consumer, now, from = ['pending'] }: { id: string; tool: string; inputHash: string; consumer: string; now: Date; from?: Array<'pending' | 'approved'> }): Promise<ConsumeOutcome> {
    return this.update<ConsumeOutcome>(id, (found) => {
      if (!found) return { answer: { ok: false, reason: 'not_found' } };
      if (found.state === 'consumed') return { answer: { ok: false, reason: 'already_used' } };
      if (found.state === 'declined') return { answer: { ok: false, reason: 'declined' } };
      if (new Date(found.expires_at) <= now) return { answer: { ok: false, reason: 'expired' } };
      if (found.tool !== tool || found.input_hash !== inputHash) return { answer: { ok: false, reason: 'other_input' } };
      if (!(from as string[]).includes(found.state)) return { answer: { ok: false, reason: 'not_approved' } };
      const next: PendingConfirmation = { ...found, state: 'consumed', consumed_by: consumer };
      return { next, answer: { ok: true, confirmation: next } };
    });
  }

  approve(id: string, approval: ConfirmationApproval, now: Date): Promise<boolean> {
    return this.update(id, (found) => {
      if (found?.state !== 'pending' || new Date(found.expires_at) <= now) return { answer: false };
      return { next: { ...found, state: 'approved', approval }, answer: true };
    });
  }

  decline(id: string, by: string): Promise<boolean> {
    return this.update(id, (found) => {
      if (found?.state !== 'pending' && found?.state !== 'approved') return { answer: false };
      return { next: { ...found, state: 'declined', consumed_by: by }, answer: true };
    });
  }

  /** Removes every confirmation that expired more than CONFIRMATION_GRACE_MS ago (and unreadable leftovers). */
  async purge(now: Date): Promise<void> {
    const before = now.getTime() - CONFIRMATION_GRACE_MS;
    for (const id of await this.ids()) {
      const c = await this.read(id).catch(() => undefined);
      if (!c || Date.parse(c.expires_at) < before) await fs.rm(this.file(id), { force: true }).catch(() => undefined);
    }
  }

  private async ids(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw stateFileError(error, this.dir, 'list confirmations');
    });
    return names.filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length)).filter((id) => CONFIRMATION_ID.test(id));
  }
}
