/**
 * The quoting and URL pieces every driver family's settings are written with, the notes and
 * prerequisites they share, and what a family builder returns.
 */
import path from 'node:path';
import { shq } from '../core/shell.js';
import { isIpLiteral } from './pasted-settings.js';
import { encodeQueryValue } from './pasted-url.js';
import { wellFormed } from '../core/unicode.js';
import { type SettingsInput, Prerequisite, ConnectionSettings, type Resolved } from './driver-inputs.js';

export const hostForUrl = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
export const q = encodeQueryValue;
export const literal = (value: string) => JSON.stringify(value);
/** Double-quoted for a POSIX shell: `"` `$` `` ` `` and `\` escaped. */
export const shellQuote = (value: string) => `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
/** A word left as it is when the shell reads it back unchanged, else double-quoted. */
/** libpq conninfo value: single-quoted when it has spaces or quotes (libpq-connect.html §34.1.1). */
const conninfoValue = (value: string) => (value === '' || /[\s'\\]/.test(value) ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : value);

/** libpq-style URL query: sslmode, files, and the Cloud routing option. */
function libpqQuery(r: Resolved, key: string | null = r.key): string {
  const params = [`sslmode=verify-full`, `sslrootcert=${q(r.ca)}`];
  if (r.cert && key) params.push(`sslcert=${q(r.cert)}`, `sslkey=${q(key)}`);
  // options=--cluster=<id>, URL-encoded as --cluster%3D<id>.
  if (r.cluster) params.push(`options=--cluster%3D${q(r.cluster)}`);
  return params.join('&');
}

export function libpqUrl(r: Resolved, scheme = 'postgresql', key: string | null = r.key): string {
  return `${scheme}://${encodeURIComponent(wellFormed(r.user)).replace(/%7B/gi, '{').replace(/%7D/gi, '}').replace(/%3C/gi, '<').replace(/%3E/gi, '>')}@${hostForUrl(r.host)}:${r.port}/${encodeURIComponent(wellFormed(r.database))}?${libpqQuery(r, key)}`;
}

export function conninfo(r: Resolved): string {
  const parts = [`host=${conninfoValue(r.host)}`, `port=${r.port}`, `user=${conninfoValue(r.user)}`, `dbname=${conninfoValue(r.database)}`, 'sslmode=verify-full', `sslrootcert=${conninfoValue(r.ca)}`];
  if (r.cert && r.key) parts.push(`sslcert=${conninfoValue(r.cert)}`, `sslkey=${conninfoValue(r.key)}`);
  if (r.cluster) parts.push(`options=${conninfoValue(`--cluster=${r.cluster}`)}`);
  return parts.join(' ');
}

export const LIBPQ_SEMANTICS =
  'libpq: verify-full checks that the server certificate chains to sslrootcert AND covers the host name; verify-ca skips the host name; require encrypts without verifying (unless a root certificate file exists, then it acts as verify-ca); prefer/allow may fall back to plaintext.';

export const KEY_MODE_NOTE = 'libpq refuses a key readable by group or others: chmod 600 the key (0640 is accepted when root owns it).';

export function cloudNotes(r: Resolved): string[] {
  if (r.deployment !== 'cloud') return [];
  const notes = [
    'CockroachDB Cloud Basic/Standard routes on the SNI host name; an IP address or a client without SNI needs the cluster id in options=--cluster=<routing-id> (or database=<routing-id>.<db>).',
    'Basic/Standard server certificates are publicly trusted (Let\'s Encrypt); Advanced clusters use their own CA: download it with curl from https://cockroachlabs.cloud/clusters/<cluster-id>/cert.',
  ];
  if (r.cert) notes.push('Client-certificate authentication on Cloud is for Advanced clusters only, after the Client CA is set (ccloud cluster networking client-ca-cert set, or set_client_ca).');
  if (!r.cluster && isIpLiteral(r.host)) notes.push(`The host ${r.host} is an IP address: no SNI is sent, so pass --cluster <routing-id>.`);
  return notes;
}

export function caPrerequisites(r: Resolved, input: SettingsInput): Prerequisite[] {
  if (input.ca !== undefined) return [];
  if (r.deployment === 'cloud') {
    return [{ why: `No CA was given: fetch the cluster CA to ${r.ca} (needed for Advanced clusters; Basic/Standard certificates are publicly trusted)`, command: `curl --create-dirs -o ${shq(r.ca)} https://cockroachlabs.cloud/clusters/"\${CLUSTER_ID:?the CockroachDB Cloud cluster id}"/cert` }];
  }
  return [{ why: `No CA was given: ${r.ca} stands for the ca.crt of the cluster's certs directory — the CA that signed the node certificates`, command: `crdb-tls cert list --certs-dir ${shq(path.dirname(r.ca))}` }];
}

export type Built = Pick<ConnectionSettings, 'settings' | 'prerequisites' | 'sslmode_semantics' | 'notes'> & { key?: string | null; keyFormat?: string | null };
