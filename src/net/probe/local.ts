import crypto from 'node:crypto';
import { ToolError } from '../../core/errors.js';
import { parseCertificates, type ParsedCertificate } from '../../pki/certificate.js';
import { refuseCaKeyAsClientKey } from '../../pki/ca-key-guard.js';
import { keyMatches } from '../../pki/keys.js';
import type { ProbeRun } from './run.js';

/** What the files the caller named give the probe, once checked. */
export interface LocalMaterial {
  /** The CA certificates to verify the server against; empty: Node's bundled public CAs. */
  trusted: ParsedCertificate[];
  /** The client certificate and its key, when both are usable: only then is a certificate sent. */
  client: { cert: ParsedCertificate; key: crypto.KeyObject } | null;
  /** The user of the StartupMessage: the given one, else the certificate's CN, else root. */
  loginUser: string;
}

/**
 * Checks the CA, certificate and key before any connection, the way the clients would refuse them
 * (unreadable, DER key, key of another certificate, key readable by others, expired, no clientAuth).
 * A fault is a finding and the probe goes on without the file.
 */
export function checkLocalFiles(run: ProbeRun): LocalMaterial {
  const { options, add } = run;
  const trusted: ParsedCertificate[] = [];
  if (options.ca) {
    if (options.ca.readError !== undefined) {
      add('ca_file_missing', 'error', 'local', `CA file ${options.ca.path}: ${options.ca.readError}; the chain is checked against Node's bundled public CAs instead`);
    } else {
      trusted.push(...parseCertificates(options.ca.contents!, options.ca.path ?? 'CA'));
    }
  }
  let clientCert: ParsedCertificate | undefined;
  let clientKey: crypto.KeyObject | undefined;
  if (options.cert || options.key) {
    if (!options.cert || !options.key) throw new ToolError('invalid_input', 'a client certificate needs its key, and a key its certificate', 'Give both cert and key (--cert and --key).');
    for (const [what, material] of [['certificate', options.cert], ['key', options.key]] as const) {
      if (material.readError !== undefined) add('client_cert_file_missing', 'error', 'local', `client ${what} ${material.path}: ${material.readError}; probing without a client certificate`);
    }
    if (options.cert.readError === undefined && options.key.readError === undefined) {
      clientCert = parseCertificates(options.cert.contents!, options.cert.path ?? 'client certificate')[0];
      const keyBytes = options.key.contents!;
      const isPem = keyBytes.includes('-----BEGIN');
      try {
        clientKey = isPem ? crypto.createPrivateKey(keyBytes) : crypto.createPrivateKey({ key: keyBytes, format: 'der', type: 'pkcs8' });
        if (!isPem) add('client_key_format', 'warning', 'local', `client key ${options.key.path} is DER (PKCS#8), which pgJDBC wants; libpq, node-postgres, Go and Python need PEM. The probe converted it to send the certificate.`);
      } catch (error) {
        add('client_key_format', 'error', 'local', `client key ${options.key.path} cannot be read as a private key (${(error as Error).message}); probing without a client certificate`);
      }
      // Before anything is sent: a CA's key never signs a client handshake (src/pki/ca-key-guard.ts).
      refuseCaKeyAsClientKey({ cert: clientCert, key: clientKey, cas: trusted, keyName: 'the client key (key)', certName: 'client certificate (cert)' });
      if (clientKey && clientCert && !keyMatches(clientKey, clientCert.x509.publicKey)) {
        add('client_key_mismatch', 'error', 'local', `the key ${options.key.path} does not belong to the certificate ${options.cert.path} (key values mismatch); probing without a client certificate`);
        clientKey = undefined;
      }
      const { mode, uid } = options.key;
      if (mode !== undefined && (mode & 0o077) !== 0 && !(uid === 0 && (mode & 0o037) === 0)) {
        add('client_key_permissions', 'warning', 'local', `client key ${options.key.path} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}: libpq (psql, psycopg) and cockroach refuse a key readable by group or others; chmod 600 it`);
      }
      if (clientCert && clientCert.notAfter.getTime() < Date.now()) add('client_cert_expired', 'warning', 'local', `client certificate ${options.cert.path} expired on ${clientCert.info.not_after}`);
      if (clientCert && clientCert.info.ext_key_usage.length > 0 && !clientCert.info.ext_key_usage.includes('clientAuth')) {
        add('cert_wrong_usage', 'warning', 'local', `client certificate ${options.cert.path} has no clientAuth extended key usage (${clientCert.info.ext_key_usage.join(', ')}): CockroachDB (Go) refuses it`);
      }
    }
  }
  const client = clientCert && clientKey ? { cert: clientCert, key: clientKey } : null;
  const loginUser = options.user ?? (clientCert?.info.common_name || 'root');
  run.fixContext.user = loginUser;
  run.report.client_certificate.sent = client !== null;
  run.report.client_certificate.subject = client ? client.cert.info.subject : null;
  return { trusted, client, loginUser };
}
