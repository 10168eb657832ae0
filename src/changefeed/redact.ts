/**
 * The redacted forms of sink URIs and CREATE CHANGEFEED statements: what logs, default output,
 * Slack and tickets get (DESIGN.md §5). Works on the raw text, so that a malformed URI (line
 * breaks, a raw `&` or `#` inside a password) is redacted as safely as a good one.
 */
import crypto from 'node:crypto';
import { ALL_KNOWN_PARAMS, isSecretParam } from './sink-params.js';

export const REDACTED = '<redacted>';

function lenientUnescape(text: string, plusIsSpace = true): string {
  try {
    return decodeURIComponent(plusIsSpace ? text.replace(/\+/g, ' ') : text);
  } catch {
    return text;
  }
}

/**
 * True when a value holds a private key whatever parameter it sits in (a key pasted into
 * client_cert, raw PEM instead of base64, DER key material): PEM text, base64 of PEM, or base64
 * of a DER key.
 */
export function holdsPrivateKey(rawValue: string): boolean {
  // A raw '+' here is more likely base64 left unencoded (DER) than a space.
  const value = lenientUnescape(rawValue, false);
  if (/PRIVATE KEY/.test(value)) return true;
  if (value.length < 64) return false;
  const compact = value.replace(/[\s]+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+=*$/.test(compact)) return false;
  const decoded = Buffer.from(compact, 'base64');
  if (decoded.includes('PRIVATE KEY')) return true;
  if (decoded[0] !== 0x30) return false;
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      crypto.createPrivateKey({ key: decoded, format: 'der', type });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE') return true;
    }
  }
  return false;
}

/**
 * A value that swallowed the next pair after a lost '&' (`sasl_user=cdcsasl_password=...`): a
 * name-like character followed by '=' that is not base64 padding at the end.
 */
const GLUED_PAIR = /[A-Za-z0-9_]=(?!=*$)/;

/** Whether a query parameter holds a secret: by its name, or because key material is inside. */
export const isSecretValue = (name: string, rawValue: string) => isSecretParam(name) || holdsPrivateKey(rawValue);

/** True when a value is recognisably certificate material (PEM, base64 of PEM or of DER X.509): public, so it may be shown. */
function holdsCertificate(rawValue: string): boolean {
  const value = lenientUnescape(rawValue, false);
  if (value.includes('-----BEGIN CERTIFICATE-----')) return true;
  const compact = value.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+=*$/.test(compact)) return false;
  const decoded = Buffer.from(compact, 'base64');
  if (decoded.includes('-----BEGIN CERTIFICATE-----')) return true;
  try {
    new crypto.X509Certificate(decoded);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether redacted output hides a value: secrets; the value of any parameter no sink reads (a
 * misspelled secret such as `sasl_passwrd=`, or a token for the webhook endpoint, look just like
 * that); a value that swallowed another pair; and a ca_cert or client_cert that is not
 * recognisably a certificate (it may be a piece of a key).
 */
export const hidesValue = (name: string, rawValue: string) =>
  isSecretValue(name, rawValue) || !ALL_KNOWN_PARAMS.has(name) || GLUED_PAIR.test(lenientUnescape(rawValue))
  || ((name === 'ca_cert' || name === 'client_cert') && rawValue !== '' && !holdsCertificate(rawValue));

const PLAIN_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const SECRET_NAMES = ['sasl_password', 'sasl_client_secret', 'client_key', 'api_secret', 'shared_access_key'];

/**
 * How a parameter name may be shown: an unknown name that is not a plain identifier, or that runs
 * on past a secret's name (`sasl_passwordhunter2` after a lost '='), may hold the secret itself.
 */
export function shownParamName(name: string): string {
  if (ALL_KNOWN_PARAMS.has(name)) return name;
  if (!PLAIN_NAME.test(name) || SECRET_NAMES.some((secret) => name.startsWith(secret))) return REDACTED;
  return name;
}

/**
 * `client_key=<redacted>`, `sasl_password=<redacted>`, and any other secret or key material
 * replaced; a password in the authority (`user:pass@`) too; values of parameters no sink reads
 * are hidden as well (see hidesValue). A piece that follows a secret and is not a parameter name
 * any sink knows is taken as the rest of that secret cut at a raw `&`, and whatever follows a `#`
 * inside a secret (Go's fragment) is hidden entirely.
 */
export function redactSinkUri(uri: string): string {
  const withoutUserPassword = uri.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/, `$1:${REDACTED}@`);
  // Without a '?' (a lost one, in a mangled URI) the parameters sit in the path: read from after `scheme://`.
  const question = withoutUserPassword.indexOf('?');
  const afterScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(withoutUserPassword)?.[0].length ?? 0;
  const start = question >= 0 ? question + 1 : /[=&]/.test(withoutUserPassword.slice(afterScheme)) ? afterScheme : -1;
  if (start < 0) return withoutUserPassword;
  const head = withoutUserPassword.slice(0, start);
  const segments = withoutUserPassword.slice(start).split('&');
  const out: string[] = [];
  let afterSecret = false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const eq = segment.indexOf('=');
    const name = lenientUnescape(eq >= 0 ? segment.slice(0, eq) : segment).trim();
    const value = eq >= 0 ? segment.slice(eq + 1) : '';
    if (afterSecret && !ALL_KNOWN_PARAMS.has(name)) {
      out.push(REDACTED);
      if (segment.includes('#')) break;
    } else if (hidesValue(name, value)) {
      afterSecret = isSecretValue(name, value);
      const shownName = shownParamName(name) === name ? segment.slice(0, eq >= 0 ? eq : segment.length) : REDACTED;
      if (afterSecret && value.includes('#')) {
        out.push(`${shownName}=${REDACTED}`);
        break; // the rest is Go's fragment, cut out of the secret
      }
      out.push(eq >= 0 ? `${shownName}=${REDACTED}` : shownName);
    } else {
      afterSecret = false;
      out.push(segment);
    }
  }
  return head + out.join('&');
}

/**
 * A CREATE CHANGEFEED / CREATE EXTERNAL CONNECTION statement with every URI literal redacted and
 * the webhook_auth_header option (a bearer token, usually) hidden. An unterminated literal is
 * redacted to the end of the text.
 */
export function redactChangefeedStatement(sql: string): string {
  return sql
    .replace(/(webhook_auth_header\s*=\s*)(?:[eE]?'(?:[^']|'')*(?:'|$))/gi, `$1'${REDACTED}'`)
    .replace(/([eE]?)'((?:[^']|'')*)('|$)/g, (whole, prefix: string, body: string, close: string) => {
      if (body === REDACTED) return whole;
      const literal = body.replace(/''/g, "'");
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(literal.trim()) && !holdsPrivateKey(literal)) return whole;
      const redacted = /:\/\//.test(literal) ? redactSinkUri(literal) : REDACTED;
      return `${prefix}'${redacted.replace(/'/g, "''")}${close}`;
    });
}
