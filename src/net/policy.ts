import { createRequire } from 'node:module';
import type { BlockList } from 'node:net';
import { ToolError } from '../core/errors.js';

// node:net and node:dns load on first use, not with this module: every face reads its policy from
// the environment at start (core/config.ts), and `crdb-tls diagnose` on the CLI, unrestricted,
// never asks it anything (issue 19). node:dns is then never loaded; node:net is, by Node itself,
// when stdout is a pipe or a terminal, but not when it is a file (~2.5 ms of that start-up).
const loadBuiltin = createRequire(import.meta.url);
let netModule: typeof import('node:net') | undefined;
const net = (): typeof import('node:net') => (netModule ??= loadBuiltin('node:net') as typeof import('node:net'));

/**
 * Which hosts network tools may reach (CRDB_TLS_NETWORK_ALLOW, DESIGN.md §5), and which hosts may
 * receive the environment's password (CRDB_TLS_PASSWORD_HOSTS): one syntax, one matcher.
 *
 * A list is comma-separated rules, each a host pattern with an optional port:
 *   db.example.com          a name (case-insensitive, a trailing dot ignored)
 *   *.internal:26257        a glob: `*` stands for one or more characters of a name
 *   10.0.0.0/8, 10.1.2.3    an IPv4 network or address
 *   ::1, [fd00::/8]:26257   an IPv6 address or network (in brackets when a port follows)
 *
 * A target passes when a rule's port (if any) is its port and either its name matches a name or
 * glob rule, or the address it resolves to lies in an address rule. The address is checked too:
 * a name rule never lets a target reach a loopback, link-local (cloud metadata), unspecified or
 * multicast address unless an address rule names that address. The caller connects to the
 * address that was checked, so a DNS answer that changes between the check and the connect
 * (rebinding) cannot move the connection elsewhere.
 */

export const NETWORK_ALLOW_VARIABLE = 'CRDB_TLS_NETWORK_ALLOW';
export const PASSWORD_HOSTS_VARIABLE = 'CRDB_TLS_PASSWORD_HOSTS';

/** Loopback only: the default over Slack and MCP over HTTP until CRDB_TLS_NETWORK_ALLOW is set. */
export const LOOPBACK_RULES = 'localhost,127.0.0.0/8,::1';
/**
 * MCP over stdio: loopback and CockroachDB Cloud's SQL endpoints. The server acts for an assistant
 * that reads text it did not write, so the rest of the network (internal services, cloud metadata)
 * is not open to it until the person lists it; Cloud clusters are public endpoints people ask about.
 */
export const MCP_STDIO_RULES = `${LOOPBACK_RULES},*.cockroachlabs.cloud:26257`;

export class HostListError extends Error {}

type Rule = { text: string; port: number | null } & ({ kind: 'name'; pattern: RegExp } | { kind: 'address'; block: BlockList });

/** Where a rule list came from, for messages: the variable, or the face's default. */
export type ListOrigin = { kind: 'variable'; variable: string } | { kind: 'default'; variable: string; why: string } | { kind: 'unrestricted'; variable: string };

export interface Admitted {
  /** The address to connect to: the one that was checked. */
  address: string;
  family: 4 | 6;
}

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;
const systemLookup: Lookup = async (host) => (await import('node:dns/promises')).lookup(host, { all: true, verbatim: true });

/** ::ffff:10.0.0.1 is 10.0.0.1: matched (and connected to) as IPv4, so it cannot slip past an IPv4 rule. */
function canonical(address: string): { address: string; family: 4 | 6 } {
  const family = net().isIP(address);
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address) ?? /^(?:0:){5}ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped && net().isIPv4(mapped[1]!)) return { address: mapped[1]!, family: 4 };
    return { address: address.toLowerCase(), family: 6 };
  }
  return { address, family: 4 };
}

/** Addresses a name rule alone never reaches: this machine, link-local (169.254.169.254 metadata), unspecified, multicast, broadcast. */
let specialAddresses: BlockList | undefined;
function special(): BlockList {
  if (specialAddresses) return specialAddresses;
  const block = new (net().BlockList)();
  for (const [network, prefix] of [['127.0.0.0', 8], ['0.0.0.0', 8], ['169.254.0.0', 16], ['224.0.0.0', 4], ['255.255.255.255', 32]] as const) block.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of [['::1', 128], ['::', 128], ['fe80::', 10], ['ff00::', 8]] as const) block.addSubnet(network, prefix, 'ipv6');
  return (specialAddresses = block);
}

function parsePort(text: string, rule: string, variable: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new HostListError(`${variable}: ${JSON.stringify(rule)} has port ${JSON.stringify(text)}, not 1-65535`);
  return Number(text);
}

function addressRule(text: string, host: string, port: number | null, variable: string): Rule | null {
  const slash = host.indexOf('/');
  const ip = slash >= 0 ? host.slice(0, slash) : host;
  const family = net().isIP(ip);
  if (!family) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = slash >= 0 ? host.slice(slash + 1) : String(max);
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) throw new HostListError(`${variable}: ${JSON.stringify(text)} has prefix length /${prefix}, not 0-${max}`);
  const block = new (net().BlockList)();
  const c = canonical(ip);
  block.addSubnet(c.address, c.family === family ? Number(prefix) : Number(prefix) - 96, c.family === 4 ? 'ipv4' : 'ipv6');
  return { kind: 'address', text, port, block };
}

function parseRule(text: string, variable: string): Rule {
  let host = text;
  let port: number | null = null;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new HostListError(`${variable}: ${JSON.stringify(text)} opens [ without closing it`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest) {
      if (!rest.startsWith(':')) throw new HostListError(`${variable}: ${JSON.stringify(text)} has ${JSON.stringify(rest)} after the ]`);
      port = parsePort(rest.slice(1), text, variable);
    }
    const rule = addressRule(text, host, port, variable);
    if (!rule || !host.includes(':')) throw new HostListError(`${variable}: ${JSON.stringify(text)} is not an IPv6 address or network in brackets`);
    return rule;
  }
  const colons = (text.match(/:/g) ?? []).length;
  if (colons === 1) {
    const at = text.indexOf(':');
    host = text.slice(0, at);
    port = parsePort(text.slice(at + 1), text, variable);
  }
  const rule = addressRule(text, host, port, variable);
  if (rule) return rule;
  if (colons > 1) throw new HostListError(`${variable}: ${JSON.stringify(text)} is not an IPv6 address or network (write [ADDRESS]:PORT for a port)`);
  const name = host.toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9*_-]+(\.[a-z0-9*_-]+)*$/.test(name)) throw new HostListError(`${variable}: ${JSON.stringify(text)} is not a host name, *.glob, IP address or CIDR`);
  const pattern = new RegExp(`^${name.split('*').map((part) => part.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&')).join('[a-z0-9_.-]+')}$`);
  return { kind: 'name', text, port, pattern };
}

/** A parsed rule list. */
export class HostList {
  private constructor(
    private readonly rules: Rule[] | null,
    readonly origin: ListOrigin,
  ) {}

  /** The rules of `value`; throws HostListError naming `variable` on the first bad one. */
  static parse(value: string, origin: ListOrigin): HostList {
    const variable = origin.variable;
    const rules = value.split(',').map((r) => r.trim()).filter(Boolean).map((r) => parseRule(r, variable));
    return new HostList(rules, origin);
  }

  static unrestricted(variable: string): HostList {
    return new HostList(null, { kind: 'unrestricted', variable });
  }

  get restricted(): boolean {
    return this.rules !== null;
  }

  /** The rules as written, for config check and messages. */
  describe(): string {
    if (!this.rules) return 'any host (unrestricted)';
    return this.rules.length ? this.rules.map((r) => r.text).join(',') : 'no host';
  }

  /**
   * Whether `host` can pass at all, before any name is resolved: an address against the address
   * rules, a name against the name rules. What offers a target (a Slack button) asks this; what
   * connects asks `allows` with the resolved address.
   */
  mayAllow(host: string, port: number): boolean {
    if (!this.rules) return true;
    if (net().isIP(host)) return this.allows(host, host, port);
    const name = host.toLowerCase().replace(/\.$/, '');
    return this.rules.some((r) => (r.port === null || r.port === port) && r.kind === 'name' && r.pattern.test(name));
  }

  /** Whether `host` (as given) reached at `address` on `port` passes the list. */
  allows(host: string, address: string, port: number): boolean {
    if (!this.rules) return true;
    const c = canonical(address);
    const name = net().isIP(host) ? null : host.toLowerCase().replace(/\.$/, '');
    const type = c.family === 4 ? 'ipv4' : 'ipv6';
    const portOk = (rule: Rule) => rule.port === null || rule.port === port;
    if (this.rules.some((r) => portOk(r) && r.kind === 'address' && r.block.check(c.address, type))) return true;
    if (name === null || special().check(c.address, type)) return false;
    return this.rules.some((r) => portOk(r) && r.kind === 'name' && r.pattern.test(name));
  }
}

const bracket = (host: string) => (host.includes(':') ? `[${host}]` : host);

/**
 * The network policy of one face: checks a target before anything is sent to it. `admit` answers
 * null when the face is unrestricted (the CLI without CRDB_TLS_NETWORK_ALLOW): connect by name as
 * the clients do. Otherwise it resolves the name, picks the first address the list allows and
 * answers it, or throws a `refused` ToolError that names the setting and how to widen it.
 */
export class NetworkPolicy {
  constructor(
    readonly list: HostList,
    private readonly lookup: Lookup = systemLookup,
  ) {}

  get restricted(): boolean {
    return this.list.restricted;
  }

  /** Every target, as the CLI without CRDB_TLS_NETWORK_ALLOW. */
  static unrestricted(): NetworkPolicy {
    return new NetworkPolicy(HostList.unrestricted(NETWORK_ALLOW_VARIABLE));
  }

  /** No target at all: what a caller that was given no policy gets. */
  static none(why: string): NetworkPolicy {
    return new NetworkPolicy(HostList.parse('', { kind: 'default', variable: NETWORK_ALLOW_VARIABLE, why }));
  }

  async admit(host: string, port: number): Promise<Admitted | null> {
    if (!this.list.restricted) return null;
    const candidates = net().isIP(host) ? [{ address: host, family: net().isIP(host) }] : await this.lookup(host);
    for (const candidate of candidates) {
      if (this.list.allows(host, candidate.address, port)) return canonical(candidate.address);
    }
    throw this.refusal(host, port, candidates.map((c) => c.address));
  }

  /** Checks every target first, so that a refused one stops the call before any is contacted. */
  async admitAll(targets: Array<{ host: string; port: number }>): Promise<void> {
    for (const t of targets) {
      try {
        await this.admit(t.host, t.port);
      } catch (error) {
        if (error instanceof ToolError) throw error;
        // A name that does not resolve is the probe's finding to report, not a refusal.
      }
    }
  }

  refusal(host: string, port: number, addresses: string[]): ToolError {
    const origin = this.list.origin;
    const resolved = addresses.length && !(addresses.length === 1 && addresses[0] === host) ? ` (it resolves to ${addresses.join(', ')})` : '';
    const from = origin.kind === 'default' ? `the default of ${origin.why} (${this.list.describe()}; ${origin.variable} is unset)` : `${origin.variable}=${this.list.describe()}`;
    const suggestion = net().isIP(host) ? `${bracket(host)}:${port}` : `${host}:${port}`;
    return new ToolError(
      'refused',
      `the network policy does not allow ${bracket(host)}:${port}${resolved}: it is outside ${from}. Nothing was sent to it.`,
      `To allow it, add ${suggestion} (or a *.glob or CIDR that covers it) to ${origin.variable} in the environment of this server, comma-separated; \`crdb-tls config check\` shows the effective list.`,
    );
  }
}
