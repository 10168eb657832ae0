import path from 'node:path';
import { ToolError } from '../core/errors.js';
import type { CertificateInfo, ParsedCertificate } from './certificate.js';
import { CA_CERT, CLIENT_CA_CERT } from './certnames.js';
import { existsBesidesInterruptedWrite } from './staging.js';
import { exists, readCaBundle, readFileOrThrow } from './certs-dir.js';
import { CERT_MODE, KEY_MODE, stateFingerprint, writeIntoCertsDir, type PlannedFile } from './files.js';
import type { InsideRoots } from './pinned-dir.js';
import { maxSeverity, type Impact } from './impact.js';
import { issueCaCertificate } from './issue.js';
import { generateRsaKey, privateKeyPem, readPrivateKey, type KeyGenWatch } from './keys.js';

export interface CreateCaOptions {
  kind: 'ca' | 'client-ca';
  certsDir: string;
  caKeyPath: string;
  keySize: number;
  lifetimeMs: number;
  overwrite: boolean;
  allowKeyReuse: boolean;
  /** Progress and cancellation of the key generation. */
  watch?: KeyGenWatch;
  /** The roots check, applied again when the files are placed (the key generation takes seconds). */
  insideRoots?: InsideRoots;
}

export interface CreateCaResult {
  certificate_file: string;
  key_file: string;
  key_reused: boolean;
  /** Certificates in the bundle after the write: the new CA first, then the ones it kept. */
  bundle: CertificateInfo[];
}

interface CaState {
  certPath: string;
  existingBundle: ParsedCertificate[];
  keyExists: boolean;
}

/** Reads what is there and refuses what `cockroach cert create-ca` refuses (reference §1.4). */
async function readCaState(o: CreateCaOptions): Promise<CaState> {
  const certPath = path.join(o.certsDir, o.kind === 'ca' ? CA_CERT : CLIENT_CA_CERT);
  if (!(await exists(path.dirname(o.caKeyPath)))) {
    throw new ToolError('not_found', `the directory of the CA key ${o.caKeyPath} does not exist`, `Create ${path.dirname(o.caKeyPath)} first (keep it outside the certs dir, readable only by you).`);
  }
  const keyExists = await existsBesidesInterruptedWrite(o.caKeyPath);
  if (keyExists && !o.allowKeyReuse) {
    throw new ToolError('already_exists', `CA key ${o.caKeyPath} exists, but key reuse is disabled`, 'Pass --allow-ca-key-reuse to sign the new CA with it, or move it away first (mv ca.key ca.old.key) to rotate to a new key.');
  }
  const certExists = await existsBesidesInterruptedWrite(certPath);
  if (certExists && !o.overwrite) {
    throw new ToolError('already_exists', `${certPath} already exists`, 'Pass --overwrite: the new CA is put first in the bundle and the existing CAs are kept after it, so certificates they signed stay trusted.');
  }
  const existingBundle = certExists ? await readCaBundle(certPath) : [];
  return { certPath, existingBundle, keyExists };
}

export async function assessCreateCa(o: CreateCaOptions): Promise<Impact> {
  const state = await readCaState(o);
  const label = o.kind === 'ca' ? 'CA' : 'client CA';
  const replacing = state.existingBundle.length > 0;
  const changes = [
    ...(state.keyExists ? [`reuse the existing key ${o.caKeyPath}`] : [`create ${o.caKeyPath} (new ${o.keySize}-bit RSA key, mode 0600)`]),
    replacing
      ? `rewrite ${state.certPath}: new ${label} first, then the ${state.existingBundle.length} certificate(s) it holds now`
      : `create ${state.certPath} (mode 0644)`,
  ];
  const impact = replacing
    ? `Rotates the ${label}: ${state.certPath} gets a new CA in front of the ${state.existingBundle.length} it holds. From now on new certificates are signed by the new CA; nodes and clients keep trusting the old ones until the old CA is removed. Every node must receive the new bundle and reload it before certificates signed by the new CA are used.`
    : `Creates a new ${label} in ${o.certsDir}.`;
  return {
    severity: maxSeverity(replacing ? 'high' : 'low'),
    impact,
    changes,
    rollback: replacing
      ? `Restore the previous ${path.basename(state.certPath)} (the old CAs are still in the bundle, after the new one)${state.keyExists ? '' : ` and delete ${o.caKeyPath}`}.`
      : `Delete ${state.certPath}${state.keyExists ? '' : ` and ${o.caKeyPath}`}.`,
    state_fingerprint: await stateFingerprint([state.certPath, o.caKeyPath]),
  };
}

export async function createCa(o: CreateCaOptions): Promise<CreateCaResult> {
  const state = await readCaState(o);
  const key = state.keyExists ? readPrivateKey(await readFileOrThrow(o.caKeyPath, 'CA key'), o.caKeyPath) : await generateRsaKey(o.keySize, o.watch);
  const issued = issueCaCertificate(key, o.lifetimeMs);
  // "Always place the new certificate first" (pkg/security/certs.go).
  const bundlePem = [issued.pem, ...state.existingBundle.map((c) => c.x509.toString())].join('');
  const files: PlannedFile[] = [{ path: state.certPath, contents: bundlePem, mode: CERT_MODE, overwrite: o.overwrite }];
  if (!state.keyExists) files.unshift({ path: o.caKeyPath, contents: privateKeyPem(key), mode: KEY_MODE, overwrite: false });
  await writeIntoCertsDir(o.certsDir, files, { insideRoots: o.insideRoots });
  return {
    certificate_file: state.certPath,
    key_file: o.caKeyPath,
    key_reused: state.keyExists,
    bundle: [issued.parsed.info, ...state.existingBundle.map((c) => c.info)],
  };
}
