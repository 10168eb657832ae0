/**
 * A CA's key signs certificates and nothing else (DESIGN.md §5: "the CA key is read only to
 * sign; nothing copies it"). Offered as a client key — embedded in a changefeed URI, presented in
 * a handshake, named in connection settings — it would leave the machine or enter a model's
 * context, so every tool that takes a client certificate and key refuses it with this one error.
 */
import type crypto from 'node:crypto';
import { ToolError } from '../core/errors.js';
import type { ParsedCertificate } from './certificate.js';
import { keyMatches } from './keys.js';

export interface ClientPairToCheck {
  /** The client certificate given with the key (its first certificate is the leaf). */
  cert?: ParsedCertificate | undefined;
  /** The private key given as the client key, when it could be read. */
  key?: crypto.KeyObject | undefined;
  /** CA certificates given in the same call (ca, sslrootcert): the key must not be one of theirs. */
  cas?: readonly ParsedCertificate[];
  /** How the call names the key and certificate, for the message: "client_key", "key (sslkey)". */
  keyName: string;
  certName: string;
}

function caKeyRefusal(subject: string, keyName: string, why: string): ToolError {
  return new ToolError(
    'refused',
    `${keyName} is refused: ${why} (${subject}, CA:TRUE); a CA's key is used only to sign certificates and is never taken as a client key`,
    'Give the client\'s own certificate and key (e.g. client.USER.crt and client.USER.key, issued with create_client_cert); keep the CA key where only the signing step reads it.',
  );
}

/** Throws `refused` when the client certificate is a CA, or the client key belongs to a CA given alongside. */
export function refuseCaKeyAsClientKey(pair: ClientPairToCheck): void {
  if (pair.cert?.info.is_ca) throw caKeyRefusal(pair.cert.info.subject, pair.keyName, `the ${pair.certName} given with it is a CA certificate`);
  if (!pair.key) return;
  for (const ca of pair.cas ?? []) {
    if (ca.info.is_ca && safeMatches(pair.key, ca)) throw caKeyRefusal(ca.info.subject, pair.keyName, 'it is the key of the CA certificate given with it');
  }
}

function safeMatches(key: crypto.KeyObject, cert: ParsedCertificate): boolean {
  try {
    return keyMatches(key, cert.x509.publicKey);
  } catch {
    return false;
  }
}
