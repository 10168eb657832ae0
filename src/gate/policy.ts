import type { Severity } from '../core/tool.js';

const RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

/** Who must agree to what (DESIGN.md §3, §6). */
export interface GatePolicy {
  /** Lowest severity that needs a person to confirm; 'never' lets every call through. */
  threshold: Severity | 'never';
  /** Mutating tools are gone from every face. */
  readOnly: boolean;
  /** How long a pending confirmation stays valid. */
  confirmationTtlMs: number;
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
  return { threshold: raw, readOnly: parseBoolean('CRDB_TLS_READ_ONLY', env.CRDB_TLS_READ_ONLY), confirmationTtlMs: Number(ttl) * 1000 };
}

export function needsConfirmation(severity: Severity, policy: GatePolicy): boolean {
  return policy.threshold !== 'never' && RANK[severity] >= RANK[policy.threshold];
}
