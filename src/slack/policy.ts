import type { Severity } from '../core/tool.js';
import type { Logger } from '../core/log.js';
import type { Principal, SlackConfig } from './config.js';
import type { SlackApi } from './reply.js';

const GROUP_CACHE_MS = 60_000;

/** Who may confirm, and who may ask for which certificates: user ids, or user groups read at click time. */
export class SlackPolicy {
  private readonly groups = new Map<string, { members: Set<string>; at: number }>();

  constructor(
    private readonly config: SlackConfig,
    private readonly api: SlackApi,
    private readonly log: Logger,
  ) {}

  /** True when `user` is one of `principals`, directly or through a user group (cached for a minute). */
  async includes(principals: Principal[], user: string): Promise<boolean> {
    if (principals.some((p) => p.kind === 'user' && p.id === user)) return true;
    for (const p of principals) {
      if (p.kind === 'group' && (await this.members(p.id)).has(user)) return true;
    }
    return false;
  }

  mayConfirm(user: string): Promise<boolean> {
    return this.includes(this.config.confirmers, user);
  }

  /** Whether `user` may run a tool that connects to a host they name (CRDB_TLS_SLACK_NETWORK_USERS). */
  async mayReachNetwork(user: string): Promise<boolean> {
    return this.config.networkUsers === 'everyone' || this.includes(this.config.networkUsers, user);
  }

  private async members(groupId: string): Promise<Set<string>> {
    const cached = this.groups.get(groupId);
    if (cached && Date.now() - cached.at < GROUP_CACHE_MS) return cached.members;
    try {
      const members = new Set(await this.api.groupMembers(groupId));
      this.groups.set(groupId, { members, at: Date.now() });
      return members;
    } catch (error) {
      // Fail closed: a group we cannot read lets nobody in.
      this.log.warn({ err: error, group: groupId }, 'cannot read a Slack user group; treating it as empty');
      return new Set();
    }
  }

  /** Who may confirm, as mrkdwn for the confirmation message. */
  describe(severity: Severity, requester: string): string {
    const names = this.config.confirmers.map((p) => (p.kind === 'user' ? `<@${p.id}>` : `members of user group ${p.id}`));
    if (names.length === 0) return '⚠️ Nobody may confirm from Slack: CRDB_TLS_SLACK_CONFIRMERS is empty.';
    const who = `May confirm: ${names.join(', ')}.`;
    return this.config.fourEyes && severity === 'high' ? `${who} Four-eyes: <@${requester}> asked, so someone else must confirm.` : who;
  }
}
