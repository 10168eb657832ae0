import tls from 'node:tls';
import { TERMINATE, formatPgError, parseAuthRequest, parseErrorFields, readBackendMessage, startupMessage } from '../pgwire.js';
import type { Finding } from './report.js';
import { codeForText, elapsed, errorText, phase, type ProbeRun } from './run.js';

/**
 * Whether the client certificate (or its absence) is accepted: a StartupMessage after the
 * handshake. TLS 1.3 refuses a client certificate only after the handshake has completed on the
 * client's side, so the handshake alone does not tell.
 */
export async function tryLogin(run: ProbeRun, tlsSocket: tls.TLSSocket, tlsErrors: Error[], sendCert: boolean, user: string): Promise<void> {
  const { report, progress } = run;
  progress('sending a StartupMessage', 0.7);
  const t0 = performance.now();
  report.client_certificate.login_user = user;
  if (sendCert && report.tls?.protocol === 'TLSv1.3' && tlsErrors.length === 0) await awaitTls13Verdict(run, tlsSocket);
  const login = await sendStartupMessage(run, tlsSocket, tlsErrors, user);
  report.timings_ms.login = elapsed(t0);
  recordLogin(run, login, sendCert, user);
  if (login.kind === 'auth') tlsSocket.write(TERMINATE);
  tlsSocket.end();
}

/**
 * TLS 1.3: the server judges our certificate after our Finished and answers with an alert
 * about one round trip later. A StartupMessage sent before that lands on a closed socket,
 * the server resets the connection and the reset can swallow the alert: wait for it a
 * little (three TCP-connect round trips, 20–500 ms).
 */
async function awaitTls13Verdict(run: ProbeRun, tlsSocket: tls.TLSSocket): Promise<void> {
  const { report, signal, remaining } = run;
  const wait = Math.min(remaining(), Math.max(20, Math.min(500, 3 * (report.timings_ms.connect ?? 0) + 20)));
  await phase<void>(wait, signal, () => undefined, (settle) => {
    const onAny = () => settle();
    tlsSocket.once('error', onAny);
    tlsSocket.once('session', onAny);
    tlsSocket.once('close', onAny);
    return () => {
      tlsSocket.removeListener('error', onAny);
      tlsSocket.removeListener('session', onAny);
      tlsSocket.removeListener('close', onAny);
    };
  });
}

/** How long a reset may wait for the alert it came with (the alert says why; the reset does not). */
const ALERT_GRACE_MS = 150;

/** An error that carries a TLS alert or an OpenSSL reason (more telling than a reset). */
const isTlsAlert = (error: Error | undefined): boolean => {
  if (!error) return false;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return code.startsWith('ERR_SSL') || /alert|ssl routines/i.test(error.message);
};

/** The first TLS alert among the errors, else the first error. */
const bestError = (errors: Error[]): Error | undefined => errors.find(isTlsAlert) ?? errors[0];

type LoginOutcome = { kind: 'auth'; auth: ReturnType<typeof parseAuthRequest> } | { kind: 'error'; text: string; sqlstate: string } | { kind: 'alert'; text: string } | { kind: 'closed' } | { kind: 'no_answer' } | { kind: 'garbage'; text: string };

/** Sends the StartupMessage and reads the first answer: an auth request, an error, an alert, or nothing. */
function sendStartupMessage(run: ProbeRun, tlsSocket: tls.TLSSocket, tlsErrors: Error[], user: string): Promise<LoginOutcome> {
  const { options, signal, remaining } = run;
  return phase<LoginOutcome>(remaining(), signal, () => ({ kind: 'no_answer' }), (settle) => {
    let bytes: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      bytes = bytes.length ? Buffer.concat([bytes, chunk]) : chunk;
      try {
        const message = readBackendMessage(bytes);
        if (!message) return;
        if (message.type === 'R') settle({ kind: 'auth', auth: parseAuthRequest(message.body) });
        else if (message.type === 'E') {
          const error = parseErrorFields(message.body);
          settle({ kind: 'error', text: formatPgError(error), sqlstate: error.code });
        } else settle({ kind: 'garbage', text: `unexpected message ${JSON.stringify(message.type)}` });
      } catch (error) {
        settle({ kind: 'garbage', text: (error as Error).message });
      }
    };
    // A refused client certificate arrives as an alert ('error'), possibly with (or just after)
    // ECONNRESET: the server closed with our StartupMessage unread. The alert says why; prefer it.
    let grace: NodeJS.Timeout | undefined;
    const fromErrors = (): LoginOutcome => {
      const best = bestError(tlsErrors);
      return best ? { kind: 'alert', text: errorText(best) } : { kind: 'closed' };
    };
    const onError = () => {
      if (isTlsAlert(bestError(tlsErrors))) return settle(fromErrors());
      grace ??= setTimeout(() => settle(fromErrors()), Math.min(ALERT_GRACE_MS, remaining()));
    };
    const onClose = () => {
      if (tlsErrors.length && !isTlsAlert(bestError(tlsErrors))) return onError();
      settle(fromErrors());
    };
    const onEnd = () => setImmediate(onClose);
    if (tlsErrors.length || tlsSocket.destroyed) {
      onClose();
      return () => clearTimeout(grace);
    }
    tlsSocket.on('data', onData);
    tlsSocket.on('error', onError);
    tlsSocket.once('end', onEnd);
    tlsSocket.once('close', onClose);
    tlsSocket.write(startupMessage({ user, database: options.database ?? 'defaultdb', application_name: 'crdb-tls probe' }));
    return () => {
      clearTimeout(grace);
      tlsSocket.removeListener('data', onData);
      tlsSocket.removeListener('error', onError);
      tlsSocket.removeListener('end', onEnd);
      tlsSocket.removeListener('close', onClose);
    };
  });
}

/** The login's answer as the report's client_certificate part and a finding. */
function recordLogin(run: ProbeRun, login: LoginOutcome, sendCert: boolean, user: string): void {
  const { options, timeoutMs, report, findings, add } = run;
  const cc = report.client_certificate;
  const severity: Finding['severity'] = sendCert ? 'error' : 'info';
  const withoutCert = sendCert ? '' : ' (no client certificate was given: pass cert and key to test yours)';
  switch (login.kind) {
    case 'auth':
      if (login.auth === 'ok') {
        cc.server_answer = 'authenticated';
        cc.accepted = sendCert ? true : null;
        cc.detail = `logged in as ${user}`;
      } else if (login.auth === 'cleartext_password' || login.auth === 'md5_password' || login.auth === 'sasl') {
        cc.server_answer = 'password_requested';
        cc.detail = `the server asks ${user} for a password (${login.auth})${sendCert ? ': it did not use the client certificate to log in (HBA method password / cert-password fallback)' : ''}`;
      } else {
        cc.server_answer = 'other_auth_requested';
        cc.detail = `the server asks for ${login.auth} authentication`;
      }
      break;
    case 'error': {
      cc.server_answer = 'error';
      cc.detail = login.text;
      if (login.sqlstate === '3D000') {
        // "database ... does not exist" comes after authentication: the login itself worked.
        cc.accepted = sendCert ? true : null;
        findings.push({ code: 'unknown', severity: 'info', phase: 'login', message: `logged in as ${user}, but ${login.text.split('\n')[0]} (pass database to pick one)`, fix_steps: [] });
        break;
      }
      const code = codeForText(login.text, 'unknown', options.client);
      if (sendCert && (code.startsWith('client_cert') || code === 'client_key_format')) cc.accepted = false;
      add(code, code === 'unknown' && sendCert ? 'warning' : severity, 'login', `the server refused the login of ${user}: ${login.text}${withoutCert}`);
      break;
    }
    case 'alert': {
      cc.server_answer = 'tls_alert';
      cc.detail = login.text;
      const code = codeForText(login.text, 'connection_dropped', options.client);
      if (sendCert) cc.accepted = false;
      add(code, 'error', 'login', `the server ended the TLS session after the handshake (TLS 1.3 reports a refused client certificate this way): ${login.text}`);
      break;
    }
    case 'closed':
      cc.server_answer = 'closed';
      add('connection_dropped', severity === 'info' ? 'warning' : 'error', 'login', `the server closed the connection after the TLS handshake without answering the StartupMessage${withoutCert}`);
      break;
    case 'no_answer':
      cc.server_answer = 'no_answer';
      add('connection_dropped', 'warning', 'login', `no answer to the StartupMessage within the time left of ${timeoutMs} ms`);
      break;
    case 'garbage':
      cc.server_answer = 'error';
      cc.detail = login.text;
      add('not_tls_endpoint', 'warning', 'login', `the answer to the StartupMessage is not pgwire: ${login.text}`);
      break;
  }
}
