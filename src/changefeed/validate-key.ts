/**
 * The client key checks of a sink's TLS material, with the client certificate it must pair with:
 * what Go's tls.X509KeyPair refuses, and whether the pair chains to the CA in ca_cert.
 */
import { verifySignature, type ParsedCertificate } from '../pki/certificate.js';
import { keyMatches } from '../pki/keys.js';
import { verifyChain } from '../pki/verify.js';
import { goX509KeyPairError, viewCertificates, viewPrivateKey, type KeyView } from './material.js';
import { problem } from './problems.js';
import { embedded, expiryProblems } from './validate-cert.js';
import type { EmbeddedKey, MaterialContext, TlsMaterial, TlsMaterialReport } from './validate-report.js';

function keyFacts(view: KeyView): Pick<EmbeddedKey, 'type' | 'bits' | 'curve'> {
  const details = view.key?.asymmetricKeyDetails ?? {};
  return {
    type: view.key?.asymmetricKeyType ?? null,
    ...(details.modulusLength !== undefined ? { bits: details.modulusLength } : {}),
    ...(details.namedCurve !== undefined ? { curve: details.namedCurve } : {}),
  };
}

export function checkClientPair(material: TlsMaterial, ctx: MaterialContext, report: TlsMaterialReport): void {
  const { where } = ctx;
  const certFile = ctx.files?.cert ?? 'client.crt';
  const keyFile = ctx.files?.key ?? 'client.key';
  const registry = ctx.reader === 'schema_registry';
  if (material.cert && !material.key) {
    report.problems.push(problem({
      code: 'client_cert_without_key', level: 'error', where, param: 'client_cert',
      message: 'client_cert is set without client_key; CockroachDB needs both to present a client certificate.',
      fix: 'Add the client key (client_key) that belongs to the certificate.',
      cockroach_error: registry ? 'client_cert and client_key must be provided together' : 'client_cert requires client_key to be set',
    }));
  }
  if (material.key && !material.cert) {
    report.problems.push(problem({
      code: 'client_key_without_cert', level: 'error', where, param: 'client_key',
      message: 'client_key is set without client_cert; CockroachDB needs both to present a client certificate.',
      fix: 'Add the client certificate (client_cert) that belongs to the key.',
      cockroach_error: registry ? 'client_cert and client_key must be provided together' : 'client_key requires client_cert to be set',
    }));
  }

  let leaf: ParsedCertificate | undefined;
  let bundle: ParsedCertificate[] = [];
  if (material.cert) {
    const view = viewCertificates(material.cert, 'client_cert', ctx.now);
    if (view.encoding === 'der') {
      report.certificates.push(...view.certificates.map((c) => embedded(c, 'client_cert', where, 'der')));
      report.problems.push(problem({
        code: 'der_instead_of_pem', level: 'error', where, param: 'client_cert',
        message: 'client_cert holds a DER (binary) certificate, not PEM; Go\'s tls.X509KeyPair reads PEM only.',
        fix: `Convert it: openssl x509 -inform DER -in ${certFile} -out client.pem && base64 -w 0 client.pem; or let \`crdb-tls changefeed-uri encode --cert ${certFile}\` do it.`,
        cockroach_error: 'invalid client certificate data provided: tls: failed to find any PEM data in certificate input',
      }));
    } else if (view.certificates.length === 0) {
      const switched = view.otherBlocks.some((t) => t.endsWith('PRIVATE KEY'));
      report.problems.push(problem({
        code: switched ? 'pem_inputs_switched' : 'client_cert_not_pem', level: 'error', where, param: 'client_cert',
        message: switched ? 'client_cert holds a private key, not a certificate: the certificate and the key were swapped.' : `client_cert holds ${view.encoding === 'pem' ? `no certificate (found ${view.otherBlocks.join(', ') || 'a malformed PEM block'})` : 'neither PEM nor DER'}.`,
        fix: switched ? 'Put base64 of the certificate file in client_cert and base64 of the key file in client_key.' : `Put base64 of the PEM client certificate in client_cert: base64 -w 0 ${certFile}.`,
        cockroach_error: `invalid client certificate data provided: ${goX509KeyPairError(material.cert, material.key ?? Buffer.alloc(0)) ?? 'tls: failed to find any PEM data in certificate input'}`,
      }));
    } else {
      bundle = view.certificates;
      leaf = bundle[0]!;
      report.clientCertificates.push(...bundle);
      report.certificates.push(...bundle.map((c) => embedded(c, 'client_cert', where, 'pem')));
      report.problems.push(...expiryProblems(leaf, 'client_cert', where, ctx.now));
      if (leaf.info.ext_key_usage.length > 0 && !leaf.info.ext_key_usage.includes('clientAuth')) {
        report.problems.push(problem({
          code: 'client_cert_missing_client_auth', level: 'warning', where, param: 'client_cert',
          message: `client_cert ${leaf.info.subject} has extended key usages ${leaf.info.ext_key_usage.join(', ')} but not clientAuth; brokers that check it refuse the certificate ("unsupported certificate purpose").`,
          fix: 'Issue the client certificate with the clientAuth extended key usage.',
        }));
      }
    }
  }

  let keyView: KeyView | undefined;
  if (material.key) {
    keyView = viewPrivateKey(material.key);
    report.key = {
      param: 'client_key', where, encoding: keyView.encoding, format: keyView.format ?? null, encrypted: keyView.encrypted, matches_certificate: null, ...keyFacts(keyView),
    };
    if (keyView.encrypted) {
      report.problems.push(problem({
        code: 'encrypted_key', level: 'error', where, param: 'client_key',
        message: `client_key is an encrypted private key (${keyView.encoding === 'der' ? 'DER EncryptedPrivateKeyInfo' : keyView.blockType === 'ENCRYPTED PRIVATE KEY' ? 'ENCRYPTED PRIVATE KEY' : 'Proc-Type: 4,ENCRYPTED'}); CockroachDB has no passphrase to decrypt it.`,
        fix: `Decrypt it (openssl asks for the passphrase): openssl pkey -in ${keyFile} -out client.decrypted.key (for RSA keys the docs' form also works: openssl rsa -in ${keyFile} -out client.decrypted.key -passin pass:PASSWORD), then encode client.decrypted.key and keep it at mode 0600.`,
        cockroach_error: 'invalid client certificate data provided: tls: failed to parse private key',
      }));
    } else if (keyView.encoding === 'der') {
      report.problems.push(problem({
        code: 'der_instead_of_pem', level: 'error', where, param: 'client_key',
        message: `client_key holds a DER (binary) ${keyView.format ?? ''} key, not PEM; Go's tls.X509KeyPair reads PEM only (the .pk8 file for Java is DER).`.replace('  ', ' '),
        fix: `Convert it: openssl pkey -inform DER -in ${keyFile} -out client.key.pem && base64 -w 0 client.key.pem; or let \`crdb-tls changefeed-uri encode --key ${keyFile}\` do it.`,
        cockroach_error: 'invalid client certificate data provided: tls: failed to find any PEM data in key input',
      }));
    } else if (keyView.error) {
      const certInstead = keyView.encoding === 'pem' && !keyView.blockType && material.key.includes('-----BEGIN CERTIFICATE-----');
      report.problems.push(problem({
        code: certInstead ? 'pem_inputs_switched' : 'key_unreadable', level: 'error', where, param: 'client_key',
        message: certInstead ? 'client_key holds a certificate, not a private key: the certificate and the key were swapped.' : `client_key cannot be read: ${keyView.error}.`,
        fix: certInstead ? 'Put base64 of the key file in client_key and base64 of the certificate in client_cert.' : `Put base64 of the unencrypted PEM key (PKCS#1, PKCS#8 or SEC1) in client_key: base64 -w 0 ${keyFile}.`,
        cockroach_error: `invalid client certificate data provided: ${material.cert ? goX509KeyPairError(material.cert, material.key) ?? 'tls: failed to parse private key' : 'tls: failed to find any PEM data in key input'}`,
      }));
    }
  }

  if (leaf && keyView?.key && keyView.encoding === 'pem' && report.key) {
    const matches = keyMatches(keyView.key, leaf.publicKey);
    report.key.matches_certificate = matches;
    if (!matches) {
      report.problems.push(problem({
        code: 'key_mismatch', level: 'error', where, param: 'client_key',
        message: `client_key does not belong to client_cert ${leaf.info.subject} (their public keys differ).`,
        fix: `Use the key generated with this certificate, or issue a certificate for this key. Compare: openssl x509 -noout -pubkey -in ${certFile} | openssl sha256 and openssl pkey -pubout -in ${keyFile} | openssl sha256.`,
        cockroach_error: 'invalid client certificate data provided: tls: private key does not match public key',
      }));
    }
  }
  // Safety net: anything Go's X509KeyPair refuses that the checks above did not name.
  if (material.cert && material.key && !report.problems.some((p) => p.level === 'error' && (p.param === 'client_cert' || p.param === 'client_key'))) {
    const goError = goX509KeyPairError(material.cert, material.key);
    if (goError) {
      report.problems.push(problem({
        code: 'client_pair_refused', level: 'error', where, param: 'client_key',
        message: `Go's tls.X509KeyPair refuses this certificate and key: ${goError}.`,
        fix: 'Give the PEM client certificate and its unencrypted PEM key.',
        cockroach_error: `invalid client certificate data provided: ${goError}`,
      }));
    }
  }

  // The CA in ca_cert is for the server; the client certificate only has to chain to it when it
  // was issued by that same CA (a private CA for both sides, the common setup).
  if (leaf && report.caCertificates.length > 0) {
    const chain = verifyChain(leaf, bundle.slice(1), report.caCertificates, { purpose: 'client_auth', now: ctx.now });
    const namesCa = report.caCertificates.filter((ca) => ca.info.subject === leaf.info.issuer);
    const signedBy = namesCa.find((ca) => verifySignature(leaf, ca.publicKey));
    const expiryOnly = /expired|not yet valid/.test(chain.error ?? '');
    if (chain.verified || expiryOnly) {
      // Chains (or fails only on dates, reported above).
    } else if (signedBy) {
      report.problems.push(problem({
        code: 'client_cert_chain_invalid', level: 'error', where, param: 'client_cert',
        message: `client_cert was signed by the CA in ca_cert, but the chain is not valid: ${chain.error}. A broker trusting that CA refuses the client certificate.`,
        fix: 'Issue the client certificate from a proper CA certificate (basicConstraints CA:TRUE; a keyUsage, if it has one, must include keyCertSign) with the clientAuth usage (or no extendedKeyUsage), and include any intermediate in client_cert after the leaf.',
        cockroach_error: 'remote error: tls: bad certificate',
      }));
    } else if (namesCa.length > 0) {
      report.problems.push(problem({
        code: 'client_cert_ca_name_collision', level: 'warning', where, param: 'client_cert',
        message: `client_cert names ${leaf.info.issuer} as its issuer, the subject of the CA in ca_cert, but another key signed it. Either that CA was re-created (then a broker trusting the CA in ca_cert refuses this client certificate), `
          + 'or it is a second CA with the same name (cockroach cert create-ca and create-client-ca both name theirs "Cockroach CA"), which is fine if the broker trusts it for client certificates.',
        fix: `Check which CA signed it: openssl x509 -noout -ext authorityKeyIdentifier -in ${certFile} against openssl x509 -noout -ext subjectKeyIdentifier of each CA, and make sure the broker's client truststore holds that CA.`,
      }));
    } else {
      report.problems.push(problem({
        code: 'client_cert_other_ca', level: 'info', where, param: 'client_cert',
        message: `client_cert is issued by ${leaf.info.issuer}, not by the CA in ca_cert (${report.caCertificates.map((c) => c.info.subject).join('; ')}). That is fine when the broker trusts ${leaf.info.issuer} for client certificates.`,
        fix: 'Make sure the broker\'s client truststore (ssl.truststore with ssl.client.auth=required) holds the CA that issued the client certificate.',
      }));
    }
  }
}
