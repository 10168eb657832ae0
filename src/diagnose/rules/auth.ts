import { signal, type Signal } from './types.js';

/** Not TLS: the password is wrong (often pasted together with a TLS error). */
export const AUTH_SIGNALS: Signal[] = [
  signal('auth.password-failed', 'password authentication failed for user', { password_auth_failed: 0.85 }, 'ref §3.3; diagnosis-codes.md'),
  signal('auth.sqlstate-28p01', '28p01', { password_auth_failed: 0.6 }, 'SQLSTATE invalid_password', { boundary: true }),
];
