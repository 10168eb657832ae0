/**
 * The opt-in expiry digest: on a schedule (CRDB_TLS_SLACK_DIGEST_SCHEDULE, UTC), post to one
 * channel what expires within the window, with a button to make the rotation plan. It reads the
 * sources of `crdb-tls rotate check` (check_expiry): the certs dirs of
 * CRDB_TLS_SLACK_DIGEST_CERTS_DIRS, the live nodes of CRDB_TLS_SLACK_DIGEST_HOSTS and the Client CA
 * of CRDB_TLS_SLACK_DIGEST_CLOUD_CLUSTER. Quiet when nothing is due and every source could be read.
 */
import type { CheckReport } from '../rotation/check.js';
import { nextDigestRun, type SlackConfig } from './config.js';
import type { SlackFace } from './face.js';
import { actions, button, context, header, sections, type Block } from './render/blocks.js';
import { checklist, type ChecklistItem } from './render/checklist.js';
import { renderProblem } from './render/outcome.js';
import { escapeMrkdwn } from './text.js';

export const DIGEST_PLAN_ACTION = 'crdb_tls_digest_plan';
/** Who asks, in the audit trail, when the digest reads its sources. */
const DIGEST_USER = 'digest';

type DigestConfig = NonNullable<SlackConfig['digest']>;

export interface DigestResult {
  posted: boolean;
  expiring: number;
  errors: number;
}

export class ExpiryDigest {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly face: SlackFace,
    private readonly digest: DigestConfig,
  ) {}

  start(now: () => Date = () => new Date()): void {
    if (this.stopped) return;
    const at = nextDigestRun(this.digest.schedule, now());
    // setTimeout holds at most ~24.8 days; a weekly schedule fits.
    const wait = Math.min(at.getTime() - now().getTime(), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      void this.runNow()
        .catch((error) => this.face.log.error({ err: error }, 'expiry digest failed'))
        .finally(() => this.start(now));
    }, Math.max(wait, 0));
    this.face.log.info({ next: at.toISOString(), channel: this.digest.channel }, 'expiry digest scheduled');
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The sources, as check_expiry and plan_rotation take them. */
  private sources(): Record<string, unknown> {
    const d = this.digest;
    return { certs_dirs: d.certsDirs, hosts: d.hosts, ...(d.cloudCluster ? { cloud_cluster: d.cloudCluster } : {}), within: d.windowText };
  }

  /** Reads every source and posts what expires within the window. */
  async runNow(): Promise<DigestResult> {
    const tool = this.face.tool('check_expiry');
    const reply = this.face.reply({ channel: this.digest.channel, user: DIGEST_USER });
    if (!tool) throw new Error('check_expiry is not in the catalog');
    const outcome = await this.face.runtime.runner.run(tool, this.sources(), this.face.context(DIGEST_USER));
    if (!outcome.ok) {
      await reply.finish(renderProblem('⚠️ The expiry digest could not run', outcome.error.message, outcome.error.hint));
      return { posted: true, expiring: 0, errors: 1 };
    }
    const report = outcome.output as unknown as CheckReport;
    if (report.result === 'nothing_due') {
      this.face.log.info({ window: this.digest.windowText }, 'expiry digest: nothing expires within the window');
      return { posted: false, expiring: 0, errors: 0 };
    }
    const items: ChecklistItem[] = report.due.map((item) => ({
      done: false,
      text: `${item.path?.split('/').pop() ?? item.location} (${item.usage ?? item.what}) — ${item.days_left === null ? item.status : item.days_left < 0 ? `EXPIRED ${-item.days_left} days ago` : `${item.days_left} days left`}`,
      detail: `${item.subject ?? item.what}${item.not_after ? `, until ${item.not_after.slice(0, 10)}` : ''}, in ${item.location}`,
    }));
    const value = JSON.stringify(this.sources());
    const blocks: Block[] = [
      header(`⏰ Certificates expiring within ${this.digest.windowText}`),
      context(`${report.due.length} certificate${report.due.length === 1 ? '' : 's'} due`, `${report.inventory.sources.length} source${report.inventory.sources.length === 1 ? '' : 's'} checked`, `schedule: ${escapeMrkdwn(this.digest.scheduleText)} (UTC)`),
      ...(items.length ? checklist('Rotate these', items) : []),
      ...(report.errors.length ? sections(`*Could not read*\n${report.errors.map((e) => `• ${escapeMrkdwn(e.location)}: ${escapeMrkdwn(e.message)}`).join('\n')}`) : []),
      ...actions(report.due.length && value.length <= 2000 ? [button('Make the rotation plan', DIGEST_PLAN_ACTION, value, { style: 'primary' })] : []),
    ];
    await reply.finish({ text: `${report.due.length} certificate(s) expire within ${this.digest.windowText}`, blocks });
    await this.face.attachPicture(tool, outcome.output, reply);
    return { posted: true, expiring: report.due.length, errors: report.errors.length };
  }
}
