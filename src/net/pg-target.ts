import net from 'node:net';
import { ToolError } from '../core/errors.js';
import type { HostList, NetworkPolicy } from './policy.js';

/**
 * Where a node-postgres login goes and which password it may send (DESIGN.md §5): the target is
 * checked by the network policy and the connection dials the checked address (the host name stays
 * the TLS server name, so verify-full still checks it); the password is handed to pg as a function,
 * so pg never falls back on its own reading of PGPASSWORD or ~/.pgpass.
 *
 * - A password the caller wrote in the connection string is theirs to send.
 * - The environment's PGPASSWORD, and ~/.pgpass / PGPASSFILE, only go to a host in
 *   CRDB_TLS_PASSWORD_HOSTS (unrestricted on the CLI unless it is set): over MCP and Slack the host
 *   is chosen by whoever is asking, and the environment's password belongs to the server's owner.
 * - No password at all travels over sslmode=disable, allow or prefer: in clear text, or to a server
 *   nobody verified, it is as good as published.
 */

const PASSWORD_REFUSING_SSLMODES: ReadonlySet<string> = new Set(['disable', 'allow', 'prefer']);

export interface PgTargetInput {
  host: string;
  port: number;
  user: string;
  database: string;
  sslmode: string;
  /** The password written in the connection string, if any. */
  given: string | undefined;
  network: NetworkPolicy;
  passwordHosts: HostList;
  env?: NodeJS.ProcessEnv;
}

export interface PgTarget {
  /** What pg connects to: the checked address, or the host itself when the face is unrestricted. */
  dialHost: string;
  /** The TLS server name to add to pg's ssl options when dialling an address for a host name. */
  servername: string | undefined;
  /** Where the password would come from if the server asks. */
  passwordSource: 'connection_string' | 'PGPASSWORD' | 'pgpass' | 'none';
  notes: string[];
  /** pg's `password` option: called only when the server asks for one. */
  password: () => Promise<string>;
}

type PgPass = (connInfo: { host: string; port: number; user: string; database: string }, cb: (password: string | undefined) => void) => void;

/** ~/.pgpass or PGPASSFILE through the pgpass package (what pg itself uses), read only when asked. */
async function fromPgpass(input: PgTargetInput): Promise<string | undefined> {
  const { default: pgpass } = (await import('pgpass')) as unknown as { default: PgPass };
  return new Promise((resolve) => pgpass({ host: input.host, port: input.port, user: input.user, database: input.database }, resolve));
}

export async function pgTarget(input: PgTargetInput): Promise<PgTarget> {
  const admitted = await input.network.admit(input.host, input.port);
  const dialHost = admitted?.address ?? input.host;
  const servername = admitted && !net.isIP(input.host) ? input.host : undefined;
  const env = input.env ?? process.env;
  const notes: string[] = [];
  const environmentAllowed = input.passwordHosts.allows(input.host, admitted?.address ?? input.host, input.port);
  let passwordSource: PgTarget['passwordSource'] = 'none';
  if (input.given !== undefined) passwordSource = 'connection_string';
  else if (env.PGPASSWORD) {
    if (environmentAllowed) passwordSource = 'PGPASSWORD';
    else notes.push(`PGPASSWORD is set in this server's environment but is not sent to ${input.host}: it is not in ${input.passwordHosts.origin.variable} (${input.passwordHosts.describe()}).`);
  } else if (environmentAllowed) passwordSource = 'pgpass';
  const refusesPassword = PASSWORD_REFUSING_SSLMODES.has(input.sslmode);
  if (refusesPassword && passwordSource === 'connection_string') notes.push(`The password is not sent over sslmode=${input.sslmode}; use sslmode=verify-full (or require) to log in with it.`);

  const password = async (): Promise<string> => {
    let value: string | undefined;
    if (passwordSource === 'connection_string') value = input.given;
    else if (passwordSource === 'PGPASSWORD') value = env.PGPASSWORD;
    else if (passwordSource === 'pgpass') value = await fromPgpass(input);
    if (value === undefined || value === '') {
      // libpq's words, which diagnose_error knows; nothing is sent.
      throw Object.assign(new Error('fe_sendauth: no password supplied'), { code: 'ENOPASSWORD' });
    }
    if (refusesPassword) {
      throw new ToolError(
        'refused',
        `${input.host}:${input.port} asked for a password, and crdb-tls sends no password over sslmode=${input.sslmode} (${input.sslmode === 'disable' ? 'it would travel in clear text' : 'the server is not verified, and libpq may not even encrypt'}). Nothing was sent.`,
        'Use sslmode=verify-full with the cluster\'s CA (sslrootcert), or log in with a client certificate.',
      );
    }
    return value;
  };
  return { dialHost, servername, passwordSource, notes, password };
}
