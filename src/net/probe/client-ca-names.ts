import { execFile } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { findOnPath } from '../../core/executables.js';
import { SSL_REQUEST } from '../pgwire.js';
import { TeeSocket, TlsRecordReader } from '../tls-records.js';
import type { ProbeReport } from './report.js';
import { elapsed, phase, type ProbeRun } from './run.js';

/**
 * The client-CA names of the server's CertificateRequest: the CAs whose client certificates it
 * accepts. A TLS 1.2 handshake sends them in the clear (read from the main handshake's records);
 * TLS 1.3 encrypts them, so a second handshake capped at TLS 1.2 reads them, and when the server
 * refuses TLS 1.2, `openssl s_client` (if installed) does.
 */
export async function readClientCaNames(run: ProbeRun, mainReader: TlsRecordReader): Promise<void> {
  run.progress('reading the client-CA names', 0.85);
  const t0 = performance.now();
  run.report.client_ca_names = await clientCaNames(run, mainReader);
  run.report.timings_ms.client_ca_names = elapsed(t0);
}

/** An optional phase is not started with less time than this left. */
const MIN_OPTIONAL_PHASE_MS = 150;

type CaNames = NonNullable<ProbeReport['client_ca_names']>;

/** The names as the records of a TLS 1.2 handshake show them. */
function fromReader(reader: TlsRecordReader, note: string | null): CaNames {
  const request = reader.observation.certificate_request;
  return {
    source: 'handshake_records',
    protocol: reader.observation.version,
    requested_client_certificate: request !== null,
    names: request?.authorities ?? [],
    note: request ? note : `the server did not ask for a client certificate in the ${reader.observation.version} handshake`,
  };
}

/** From the main handshake when it was TLS 1.2, else from a second handshake, else from openssl. */
async function clientCaNames(run: ProbeRun, mainReader: TlsRecordReader): Promise<CaNames> {
  const { options, servername, signal, sockets, remaining } = run;
  if (!mainReader.observation.tls13 && mainReader.observation.server_hello_done) return fromReader(mainReader, null);
  if (!mainReader.observation.tls13) {
    return { source: 'none', protocol: mainReader.observation.version, requested_client_certificate: null, names: [], note: `the handshake records ended early (${mainReader.observation.stopped ?? 'incomplete'})` };
  }
  if (remaining() < MIN_OPTIONAL_PHASE_MS) return { source: 'none', protocol: 'TLSv1.3', requested_client_certificate: null, names: [], note: 'not read: the time budget was used up' };

  // TLS 1.3 hides the CertificateRequest: a second handshake, capped at TLS 1.2, stopped at ServerHelloDone.
  const reader = new TlsRecordReader();
  const outcome = await phase<'done' | 'failed' | 'timeout'>(remaining(), signal, () => 'timeout', (settle) => {
    const socket = net.connect({ host: run.dialHost, port: options.port });
    sockets.push(socket);
    socket.on('error', () => settle('failed'));
    let tlsSocket: tls.TLSSocket | undefined;
    socket.once('connect', () => socket.write(SSL_REQUEST));
    socket.once('data', (chunk: Buffer) => {
      if (chunk[0] !== 0x53 || chunk.length !== 1) return settle('failed');
      socket.pause();
      const tee = new TeeSocket(socket, (bytes) => {
        reader.push(bytes);
        if (reader.done) settle('done');
      });
      tee.on('error', () => settle(reader.done ? 'done' : 'failed'));
      tlsSocket = tls.connect({ socket: tee, rejectUnauthorized: false, checkServerIdentity: () => undefined, maxVersion: 'TLSv1.2', ...(servername ? { servername } : {}) });
      tlsSocket.on('error', () => settle(reader.done ? 'done' : 'failed'));
      tlsSocket.once('secureConnect', () => settle('done'));
      tlsSocket.once('close', () => settle(reader.done ? 'done' : 'failed'));
    });
    return () => {
      tlsSocket?.destroy();
      socket.destroy();
    };
  });
  if (outcome === 'done' && reader.observation.version === 'TLSv1.2' && reader.observation.server_hello_done) {
    return fromReader(reader, 'read from a second handshake capped at TLS 1.2 (the main one negotiated TLS 1.3, which encrypts the CertificateRequest)');
  }
  const refused = reader.observation.alert?.name === 'protocol_version' || reader.observation.alert?.name === 'handshake_failure';
  const opensslBinary = options.openssl === undefined ? findOnPath('openssl') : options.openssl;
  if (opensslBinary && remaining() >= MIN_OPTIONAL_PHASE_MS) {
    const names = await opensslCaNames(opensslBinary, run.dialHost, options.port, servername, remaining(), signal);
    if (names) {
      return {
        source: 'openssl',
        protocol: names.protocol,
        requested_client_certificate: names.requested,
        names: names.names,
        note: `${refused ? 'the server refuses TLS 1.2' : 'the TLS 1.2 handshake could not be read'}; read with openssl s_client -starttls postgres`,
      };
    }
  }
  return {
    source: 'none',
    protocol: 'TLSv1.3',
    requested_client_certificate: null,
    names: [],
    note: `${refused ? 'the server refuses TLS 1.2' : outcome === 'timeout' ? 'no TLS 1.2 handshake within the time budget' : 'the TLS 1.2 handshake failed'} and TLS 1.3 encrypts the CertificateRequest${opensslBinary ? '' : '; install openssl to read the names through openssl s_client'}`,
  };
}

/** `openssl s_client -starttls postgres`, parsed; null when its output tells nothing. */
function opensslCaNames(binary: string, host: string, port: number, servername: string | null, timeoutMs: number, signal: AbortSignal | undefined): Promise<OpensslNames | null> {
  const connect = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const args = ['s_client', '-starttls', 'postgres', '-connect', connect, ...(servername ? ['-servername', servername] : ['-noservername'])];
  return new Promise((resolve) => {
    const child = execFile(binary, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1_048_576, ...(signal ? { signal } : {}) }, (error, stdout) => {
      const parsed = parseOpensslCaNames(stdout);
      resolve(parsed.requested || parsed.names.length || !error ? parsed : null);
    });
    child.stdin?.end();
  });
}

interface OpensslNames {
  names: string[];
  requested: boolean;
  protocol: string | null;
}

/** `openssl s_client -starttls postgres`'s "Acceptable client certificate CA names" section. */
export function parseOpensslCaNames(output: string): OpensslNames {
  const lines = output.split('\n');
  const names: string[] = [];
  let requested = false;
  const start = lines.findIndex((l) => l.startsWith('Acceptable client certificate CA names'));
  if (start >= 0) {
    requested = true;
    for (const line of lines.slice(start + 1)) {
      if (!line.trim() || /^(Requested Signature Algorithms|Client Certificate Types|Shared Requested|Peer signing|Peer signature|Server Temp Key|---|SSL handshake)/.test(line)) break;
      names.push(line.trim().replace(/\s*=\s*/g, '='));
    }
  } else if (output.includes('No client certificate CA names sent')) {
    requested = true;
  }
  const protocol = /^\s*Protocol\s*:\s*(\S+)/m.exec(output)?.[1] ?? /New, (TLSv[\d.]+),/.exec(output)?.[1] ?? null;
  return { names, requested, protocol };
}
