import type { Severity } from '../core/assessment.js';

const RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

/** Who must agree to what (DESIGN.md §3, §6). */
export interface GatePolicy {
  /** Lowest severity that needs a person to confirm; 'never' lets every call through. */
  threshold: Severity | 'never';
  /** Mutating tools are gone from every face. */
  readOnly: boolean;
  /** How long a pending confirmation stays valid. */
  confirmationTtlMs: number;
  /**
   * Who confirms a gated MCP call when the client cannot ask the person (CRDB_TLS_MCP_CONFIRM):
   * `person` (default) — `crdb-tls confirm <id>` in a terminal or an allowed Slack confirmer;
   * `slack` — only an allowed Slack confirmer; `assistant` — the id passed back is enough (advisory).
   */
  mcpConfirm?: McpConfirm;
  /** High-severity Slack requests need someone other than the requester (CRDB_TLS_FOUR_EYES, default true). */
  fourEyes?: boolean;
}

const MCP_CONFIRM_MODES = ['person', 'slack', 'assistant'] as const;
export type McpConfirm = (typeof MCP_CONFIRM_MODES)[number];

export function parseMcpConfirm(value: string | undefined): McpConfirm {
  const word = (value ?? 'person').trim().toLowerCase() || 'person';
  if (!(MCP_CONFIRM_MODES as readonly string[]).includes(word)) throw new PolicyError(`CRDB_TLS_MCP_CONFIRM=${value} is not one of ${MCP_CONFIRM_MODES.join(', ')}`);
  return word as McpConfirm;
}

export class PolicyError extends Error {}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['', '0', 'false', 'no', 'off']);

export function parseBoolean(name: string, value: string | undefined): boolean {
  const word = (value ?? '').trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new PolicyError(`${name}=${value} is not a boolean; use true or false`);
}

export function policyFromEnv(env: NodeJS.ProcessEnv = process.env): GatePolicy {
  const raw = (env.CRDB_TLS_CONFIRM_THRESHOLD ?? 'medium').trim().toLowerCase();
  if (raw !== 'low' && raw !== 'medium' && raw !== 'high' && raw !== 'never') {
    throw new PolicyError(`CRDB_TLS_CONFIRM_THRESHOLD=${env.CRDB_TLS_CONFIRM_THRESHOLD} is not one of low, medium, high, never`);
  }
  const ttl = (env.CRDB_TLS_CONFIRMATION_TTL_SECONDS ?? '600').trim();
  if (!/^[1-9][0-9]{0,5}$/.test(ttl)) throw new PolicyError(`CRDB_TLS_CONFIRMATION_TTL_SECONDS=${ttl} is not a whole number of seconds between 1 and 999999`);
  return {
    threshold: raw,
    readOnly: parseBoolean('CRDB_TLS_READ_ONLY', env.CRDB_TLS_READ_ONLY),
    confirmationTtlMs: Number(ttl) * 1000,
    mcpConfirm: parseMcpConfirm(env.CRDB_TLS_MCP_CONFIRM),
    fourEyes: parseBoolean('CRDB_TLS_FOUR_EYES', env.CRDB_TLS_FOUR_EYES ?? 'true'),
  };
}

export function needsConfirmation(severity: Severity, policy: GatePolicy): boolean {
  return policy.threshold !== 'never' && RANK[severity] >= RANK[policy.threshold];
}
