import net from 'node:net';
import tls from 'node:tls';
import type * as z from 'zod';
import { DiagnosisCode } from '../../diagnose/index.js';
import { parseCertificateDer, type ParsedCertificate } from '../../pki/certificate.js';
import { toPem } from '../../pki/pem.js';
import { TeeSocket, TlsRecordReader } from '../tls-records.js';
import type { LocalMaterial } from './local.js';
import type { ChainCertificate } from './report.js';
import { codeForText, elapsed, errorText, phase, type ProbeRun } from './run.js';

/** What the TLS handshake leaves for the phases after it. */
export interface TlsSession {
  /** The TLS socket, when the handshake completed; null when it did not. */
  secure: tls.TLSSocket | null;
  /** Every error the TLS socket emitted, kept for the whole session: the login phase reads late alerts here. */
  tlsErrors: Error[];
  /** The plaintext handshake records (TLS 1.2 chain, CertificateRequest, alert). */
  reader: TlsRecordReader;
  /** The server's chain, the server certificate first; empty when none could be read. */
  chain: ParsedCertificate[];
}

/**
 * The TLS handshake on the socket that answered "S". Everything is accepted here, so that the
 * chain can be shown; verification follows in verify.ts. The records are read on the way in
 * (TeeSocket) for what the TLS layer does not tell: the chain of a failed handshake, the alert.
 */
export async function tlsHandshake(run: ProbeRun, socket: net.Socket, { trusted, client }: LocalMaterial): Promise<TlsSession> {
  const { options, servername, signal, timeoutMs, report, sockets, remaining, progress, add } = run;
  progress('TLS handshake', 0.35);
  const t0 = performance.now();
  const reader = new TlsRecordReader();
  const tee = new TeeSocket(socket, (chunk) => reader.push(chunk));
  tee.on('error', () => {});
  const tlsOptions: tls.ConnectionOptions = {
    socket: tee,
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    ...(servername ? { servername } : {}),
    ...(trusted.length ? { ca: trusted.map((c) => toPem('CERTIFICATE', c.der)) } : {}),
    ...(client ? { cert: toPem('CERTIFICATE', client.cert.der), key: client.key.export({ format: 'pem', type: 'pkcs8' }) as string } : {}),
  };
  let secure: tls.TLSSocket | undefined;
  const tlsErrors: Error[] = [];
  const handshake = await phase<{ ok?: true; error?: string; closed?: true; timeout?: true }>(remaining(), signal, () => ({ timeout: true }), (settle) => {
    let tlsSocket: tls.TLSSocket;
    try {
      tlsSocket = tls.connect(tlsOptions);
    } catch (error) {
      settle({ error: errorText(error) });
      return () => {};
    }
    secure = tlsSocket;
    // Kept for the whole session: an alert read together with the server's Finished is emitted
    // (on nextTick) before this phase's caller runs again, and the login phase must still see it.
    tlsSocket.on('error', (error) => {
      tlsErrors.push(error);
    });
    const onError = (error: Error) => settle({ error: errorText(error) });
    const onClose = () => settle({ closed: true });
    tlsSocket.once('secureConnect', () => settle({ ok: true }));
    tlsSocket.once('error', onError);
    tlsSocket.once('close', onClose);
    return () => {
      tlsSocket.removeListener('error', onError);
      tlsSocket.removeListener('close', onClose);
    };
  });
  report.timings_ms.handshake = elapsed(t0);
  if (secure) sockets.push(secure);

  // The chain: from the TLS layer when the handshake completed, else from the plaintext records.
  let chainDers: Buffer[] = [];
  if (handshake.ok && secure) {
    chainDers = peerChainDers(secure);
    report.chain_source = 'tls';
    const cipher = secure.getCipher();
    report.tls = { protocol: secure.getProtocol() ?? 'unknown', cipher: cipher.name, cipher_standard_name: cipher.standardName ?? null };
  } else if (reader.observation.server_certificates.length) {
    chainDers = reader.observation.server_certificates;
    report.chain_source = 'handshake_records';
  }
  const chain = chainDers.map((der, i) => parseCertificateDer(der, `server certificate #${i + 1}`));
  report.chain = chain.map(chainEntry);

  if (!handshake.ok) {
    const version = reader.observation.version;
    if (handshake.timeout) {
      add('connection_dropped', 'error', 'handshake', `the server answered "S" but the TLS handshake did not finish within ${timeoutMs} ms (a stalled server or proxy)`);
    } else if (handshake.closed) {
      add('connection_dropped', 'error', 'handshake', `the server closed the connection during the TLS handshake${version ? ` (${version})` : ''}: its log says why`);
    } else {
      const text = handshake.error ?? 'TLS handshake failed';
      const alert = reader.observation.alert;
      const fallback: DiagnosisCode = alert?.name === 'protocol_version' ? 'tls_version_mismatch' : 'connection_dropped';
      const code = codeForText(text, fallback, options.client);
      add(code, 'error', 'handshake', `TLS handshake failed: ${text}${alert ? ` (server alert: ${alert.name})` : ''}`);
      if (client && (code === 'client_cert_untrusted' || code === 'client_cert_expired' || code === 'cert_wrong_usage')) {
        report.client_certificate.accepted = false;
        report.client_certificate.server_answer = 'tls_alert';
        report.client_certificate.detail = text;
      }
    }
  }

  return { secure: handshake.ok && secure ? secure : null, tlsErrors, reader, chain };
}

function chainEntry(parsed: ParsedCertificate, position: number): z.infer<typeof ChainCertificate> {
  return { ...parsed.info, position, sha1_fingerprint: parsed.x509.fingerprint };
}

/** The DER chain Node reports: the peer's certificates, each followed by its issuer, until a self-signed one. */
function peerChainDers(socket: tls.TLSSocket): Buffer[] {
  const ders: Buffer[] = [];
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert && cert.raw && ders.length < 10) {
    const key = cert.fingerprint256;
    if (seen.has(key)) break;
    seen.add(key);
    ders.push(cert.raw);
    if (!cert.issuerCertificate || cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return ders;
}
