import { verifySignature, type ParsedCertificate } from './certificate.js';

/** What the leaf is verified for (schemas.ts says what each means, for the tools). */
export type Purpose = 'server_auth' | 'client_auth' | 'any';

/** A chain's verdict (zod's twin: schemas.ts). */
export interface ChainVerification {
  verified: boolean;
  purpose: Purpose;
  /** Subjects from the leaf to the trusted CA. */
  path: string[];
  error?: string | undefined;
}

export interface VerifyOptions {
  purpose?: Purpose;
  now?: Date;
}

const MAX_DEPTH = 8;
/** Signature checks one verification may spend: many same-name CAs must not make it exponential. */
const MAX_SIGNATURE_CHECKS = 256;

const EKU_NAME: Record<Exclude<Purpose, 'any'>, string> = { server_auth: 'serverAuth', client_auth: 'clientAuth' };
// OpenSSL's check_purpose_ssl_client/server (crypto/x509/v3_purp.c): a present keyUsage must allow
// the TLS handshake signature (KU_SSL_CLIENT) or key exchange (KU_TLS); RFC 8446 §4.4.2.2 says the
// same for digitalSignature.
const LEAF_KEY_USAGES: Record<Exclude<Purpose, 'any'>, string[]> = {
  client_auth: ['digitalSignature', 'keyAgreement'],
  server_auth: ['digitalSignature', 'keyEncipherment', 'keyAgreement'],
};

const names = (list: readonly string[]) => (list.length ? list.join(', ') : 'nothing');

/**
 * Why `cert` may not sign certificates, or null. RFC 5280 §4.2.1.9: without basicConstraints
 * CA:TRUE "the certified public key MUST NOT be used to verify certificate signatures" (Go's
 * CheckSignatureFrom applies this to trust anchors too, and so do we); §4.2.1.3 and §6.1.4 (n): a
 * keyUsage, when present, must assert keyCertSign, while an absent keyUsage does not restrict
 * (`openssl req -x509`'s default CA has none).
 */
export function signingProblem(cert: ParsedCertificate): string | null {
  if (!cert.info.is_ca) return cert.hasBasicConstraints ? 'it has basicConstraints CA:FALSE' : 'it has no basicConstraints CA:TRUE';
  if (cert.hasKeyUsage && !cert.keyCertSign) return `its keyUsage (${names(cert.keyUsage)}) lacks keyCertSign`;
  return null;
}

/** Why `cert` may not be used for `purpose` at `position` in a chain (0: the leaf), or null. */
function purposeProblem(cert: ParsedCertificate, purpose: Purpose, position: number): string | null {
  if (purpose === 'any') return null;
  // EKU nests through the chain in OpenSSL (xku_reject on every certificate) and Go
  // (checkChainForKeyUsage): a CA with an EKU may only vouch for those usages.
  if (cert.hasExtKeyUsage && !cert.info.ext_key_usage.includes(EKU_NAME[purpose])) {
    return `${cert.info.subject}'s extendedKeyUsage (${names(cert.info.ext_key_usage)}) lacks ${EKU_NAME[purpose]}`;
  }
  if (position === 0 && cert.hasKeyUsage && !LEAF_KEY_USAGES[purpose].some((u) => cert.keyUsage.includes(u))) {
    return `${cert.info.subject}'s keyUsage (${names(cert.keyUsage)}) has none of ${LEAF_KEY_USAGES[purpose].join(', ')}`;
  }
  return null;
}

function dateProblem(cert: ParsedCertificate, now: Date): string | null {
  if (cert.notAfter < now) return `certificate has expired: ${cert.info.subject} (not after ${cert.info.not_after})`;
  if (cert.notBefore > now) return `certificate is not yet valid: ${cert.info.subject} (not before ${cert.info.not_before})`;
  return null;
}

const selfIssued = (cert: ParsedCertificate) => cert.subjectDer.equals(cert.issuerDer);

/**
 * RFC 5280 §6.1 on one built path, leaf first, trust anchor last: dates (the anchor's too, as in
 * OpenSSL and Go), critical extensions, CA-ness and keyUsage of every issuer, pathLenConstraint
 * (§4.2.1.9: self-issued intermediates do not count), and the purpose.
 */
function checkPath(path: ParsedCertificate[], purpose: Purpose, now: Date): string | null {
  for (const [i, cert] of path.entries()) {
    const date = dateProblem(cert, now);
    if (date) return date;
    if (cert.unknownCriticalExtensions.length) return `unhandled critical extension: ${cert.info.subject} marks ${cert.unknownCriticalExtensions.join(', ')} critical`;
    if (i > 0) {
      const problem = signingProblem(cert);
      if (problem) return `invalid CA certificate: ${cert.info.subject} signed ${path[i - 1]!.info.subject} but is not a CA: ${problem}`;
      const below = path.slice(1, i).filter((c) => !selfIssued(c)).length;
      if (cert.info.path_len !== null && below > cert.info.path_len) {
        return `path length constraint exceeded: ${cert.info.subject} allows ${cert.info.path_len} intermediate CA(s) below it, the chain has ${below}`;
      }
    }
    const usage = purposeProblem(cert, purpose, i);
    if (usage) return `unsupported certificate purpose: ${usage}`;
  }
  return null;
}

/** The candidates that name `cert`'s issuer, the likeliest first: AKI = SKI, then dates that hold now. */
function candidatesFor(cert: ParsedCertificate, pool: ParsedCertificate[], now: Date): ParsedCertificate[] {
  // Byte-equal names (Go's rule), or names equal as text when encoded differently (OpenSSL
  // compares a canonical form; PrintableString vs UTF8String of the same name is the usual case).
  const named = pool.filter((c) => c.subjectDer.equals(cert.issuerDer) || c.info.subject === cert.info.issuer);
  const rank = (c: ParsedCertificate) => {
    const keyIdMatch = !cert.authorityKeyId || !c.subjectKeyId ? 1 : cert.authorityKeyId.equals(c.subjectKeyId) ? 0 : 2;
    return keyIdMatch * 2 + (dateProblem(c, now) ? 1 : 0);
  };
  return named.map((c, i) => ({ c, key: rank(c) * 1000 + i })).sort((a, b) => a.key - b.key).map(({ c }) => c);
}

/**
 * Builds every path from `leaf` to one of `trusted` through `intermediates` (the presented chain
 * and any bundle) and validates each by RFC 5280 for `purpose`; verified when one passes. Any
 * trusted certificate is a trust anchor (RFC 5280 §6.1, Go, Java; OpenSSL needs -partial_chain for
 * an anchor that is not self-signed). Errors use OpenSSL's wording so that they match what people
 * see from clients; the one reported is that of the first complete path, else the missing issuer.
 */
export function verifyChain(leaf: ParsedCertificate, intermediates: ParsedCertificate[], trusted: ParsedCertificate[], options: VerifyOptions = {}): ChainVerification {
  const purpose = options.purpose ?? 'any';
  const now = options.now ?? new Date();
  const signatures = new Map<string, boolean>();
  let budget = MAX_SIGNATURE_CHECKS;
  const signedBy = (cert: ParsedCertificate, issuer: ParsedCertificate) => {
    const key = `${cert.info.sha256_fingerprint}>${issuer.info.sha256_fingerprint}`;
    let ok = signatures.get(key);
    if (ok === undefined) {
      if (budget-- <= 0) return false;
      ok = verifySignature(cert, issuer.publicKey);
      signatures.set(key, ok);
    }
    return ok;
  };
  const isTrusted = (cert: ParsedCertificate) => trusted.some((t) => t.der.equals(cert.der));
  const untrusted = intermediates.filter((c) => !isTrusted(c));
  let firstFailure: { path: ParsedCertificate[]; error: string } | undefined;
  let deepestMissing: ParsedCertificate[] = [leaf];

  const search = (path: ParsedCertificate[]): ParsedCertificate[] | undefined => {
    const current = path[path.length - 1]!;
    if (path.length > deepestMissing.length) deepestMissing = path;
    if (path.length > MAX_DEPTH) return undefined;
    const onPath = (c: ParsedCertificate) => path.some((p) => p.der.equals(c.der));
    for (const anchor of candidatesFor(current, trusted, now)) {
      if (onPath(anchor) || !signedBy(current, anchor)) continue;
      const complete = [...path, anchor];
      const error = checkPath(complete, purpose, now);
      if (!error) return complete;
      firstFailure ??= { path: complete, error };
    }
    for (const next of candidatesFor(current, untrusted, now)) {
      if (onPath(next) || !signedBy(current, next)) continue;
      const found = search([...path, next]);
      if (found) return found;
    }
    return undefined;
  };

  const subjects = (path: ParsedCertificate[]) => path.map((c) => c.info.subject);
  if (isTrusted(leaf)) {
    // The leaf itself is trusted (a pinned self-signed certificate): only its own dates and purpose.
    const error = dateProblem(leaf, now) ?? (purposeProblem(leaf, purpose, 0) ? `unsupported certificate purpose: ${purposeProblem(leaf, purpose, 0)}` : null);
    return { verified: !error, purpose, path: [leaf.info.subject], ...(error ? { error } : {}) };
  }
  const found = search([leaf]);
  if (found) return { verified: true, purpose, path: subjects(found) };
  if (firstFailure) return { verified: false, purpose, path: subjects(firstFailure.path), error: firstFailure.error };
  const last = deepestMissing[deepestMissing.length - 1]!;
  const leafDate = dateProblem(leaf, now);
  const error = last.info.self_signed
    ? `self-signed certificate: ${last.info.subject} is not among the trusted CAs`
    : `unable to get local issuer certificate: no trusted CA signed ${last.info.subject} (issuer ${last.info.issuer})`;
  return { verified: false, purpose, path: subjects(deepestMissing), error: leafDate && deepestMissing.length === 1 ? `${error}; also ${leafDate}` : error };
}

/**
 * The certificate of `pool` that signed `leaf`, if any (no validity checks: for listings and
 * rotation, which want to know who signed what even when it no longer verifies).
 */
export function findIssuer(leaf: ParsedCertificate, pool: ParsedCertificate[]): ParsedCertificate | undefined {
  return candidatesFor(leaf, pool.filter((c) => c !== leaf && !c.der.equals(leaf.der)), new Date()).find((candidate) => verifySignature(leaf, candidate.publicKey));
}
