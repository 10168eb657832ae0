import path from 'node:path';
import { pkcs12PathFor, pkcs8PathFor } from '../../connection/driver-inputs.js';
import {
  caOf,
  certOf,
  caWord,
  certsDirFlag,
  certsDirOf,
  certsDirWord,
  certWord,
  clientName,
  createClientCommand,
  inCertsDirWord,
  keyWord,
  settingName,
  userWord,
  configureSteps,
  connectionStringTool,
  inspectTool,
  isCloud,
  isJava,
  isNodeFamily,
  keyOf,
  listCertsTool,
  nodeOverridingParams,
  testConnectionTool,
  userOf,
  type CauseDraft,
  type FixContext,
  type Guide,
  type StepDraft,
} from './context.js';
import { need, raw, sh, type Shell } from '../../core/shell.js';

/** Guides for the CLIENT's certificate and key: trusted, present, current, mapped to the right user, readable. */

const createClient = createClientCommand;
const verifyClient = (ctx: FixContext) => sh`openssl verify -CAfile ${caWord(ctx)} ${certWord(ctx)}`;

export const clientCertUntrusted: Guide = {
  confirm: (ctx) => `\`${verifyClient(ctx)}\` (with the cluster's ca-client.crt if it has one) does not print "OK"`,
  explanation: (ctx) =>
    `The server ended the handshake with an "unknown CA" / "bad certificate" alert: it received the client certificate but it does not chain to a CA the cluster trusts for clients — ca-client.crt when the cluster has one, else ca.crt. This is the server rejecting the CLIENT; the client did not get as far as SQL authentication.${isCloud(ctx) ? ' On CockroachDB Cloud (Advanced only) the cluster trusts a client CA only after it is uploaded and its status is IS_SET.' : ''}`,
  causes: (ctx) => [
    { cause: 'The client certificate was signed by another CA: another cluster\'s, a test CA, or a CA re-created since.', likelihood: 'high', confirm: 'Verify the client certificate against the cluster CA.', command: verifyClient(ctx) },
    { cause: 'The cluster has a separate client CA (ca-client.crt) and the certificate was signed by ca.crt, or the other way round.', likelihood: 'medium', confirm: 'ls the node\'s certs dir for ca-client.crt; verify against it.', command: sh`openssl verify -CAfile ${inCertsDirWord(ctx, 'ca-client.crt')} ${certWord(ctx)}` },
    ...(isCloud(ctx) ? [{ cause: 'Cloud: the Client CA is not set for this cluster, or its update is still PENDING / FAILED.', likelihood: 'high' as const, confirm: 'ccloud cluster networking client-ca-cert get shows status IS_SET with your CA.', command: 'ccloud cluster networking client-ca-cert get "${CLUSTER_ID:?the CockroachDB Cloud cluster id}"' }] : []),
    { cause: 'The certificate lacks the clientAuth usage (a "bad certificate" alert).', likelihood: 'low', confirm: 'Extended Key Usage must include TLS Web Client Authentication.', command: sh`openssl x509 -in ${certWord(ctx)} -noout -ext extendedKeyUsage` },
    { cause: 'The client sends another file than you think (libpq default ~/.postgresql/postgresql.crt, a stale mounted secret).', likelihood: 'low', confirm: 'Print the subject and issuer of the file the settings name.', command: sh`openssl x509 -in ${certWord(ctx)} -noout -subject -issuer` },
  ],
  fixes: (ctx) => [
    { action: 'Check the client certificate against the CA the cluster trusts for clients.', command: verifyClient(ctx) },
    ...(isCloud(ctx)
      ? [{ action: 'Upload the CA that signed your client certificates as the cluster\'s Client CA, then wait until its status is IS_SET (the call is asynchronous).', command: sh`ccloud cluster networking client-ca-cert set ${need('clusterId')} --cert-file ${inCertsDirWord(ctx, 'ca-client.crt')}` }]
      : [{ action: 'Issue the client certificate from the cluster\'s CA (the key at --ca-key must be that CA\'s key).', command: createClient(ctx) }]),
    ...configureSteps(ctx, `Give ${clientName(ctx)} the certificate and key`, true),
  ],
  nextTools: (ctx) => [
    inspectTool(certOf(ctx), 'verify the client certificate against the cluster CA', caOf(ctx)),
    ...(isCloud(ctx) ? [{ tool: 'get_client_ca', arguments: { cluster_id: '<cluster-id>' }, reason: 'see which Client CA the Cloud cluster trusts and its status' }] : []),
  ],
};

export const clientCertExpired: Guide = {
  confirm: (ctx) => `\`${sh`openssl x509 -in ${certWord(ctx)} -noout -enddate`}\` shows a date in the past`,
  explanation: () => 'The server received the client certificate and rejected it with a certificate_expired alert: the client certificate is past its end date.',
  causes: (ctx) => [
    { cause: 'The client certificate expired.', likelihood: 'high', confirm: 'Read its end date.', command: sh`openssl x509 -in ${certWord(ctx)} -noout -enddate` },
    { cause: "The server's clock is far ahead.", likelihood: 'low', confirm: 'date -u on the node.', command: 'date -u' },
  ],
  fixes: (ctx) => [
    { action: 'Issue a new client certificate from the same CA and deploy it (and its key) where the client reads them.', command: createClient(ctx, ' --overwrite') },
    ...configureSteps(ctx, `Make sure ${clientName(ctx)} reads the new files`, true),
  ],
  nextTools: (ctx) => [inspectTool(certOf(ctx), 'see the end date'), listCertsTool(certsDirOf(ctx), 'find every certificate that expires soon')],
};

function requiredCauses(ctx: FixContext): CauseDraft[] {
  const causes: CauseDraft[] = [];
  if (isNodeFamily(ctx)) {
    const overriding = nodeOverridingParams(ctx);
    if (overriding.length) causes.push({ cause: `The connection string sets ${overriding.join(', ')}, so node-postgres replaced the ssl object — with its cert and key.`, likelihood: 'high', confirm: 'Drop those parameters from the string (or add sslcert/sslkey to it).' });
    causes.push({ cause: 'The ssl object has no cert/key, or it was re-used: pg makes ssl.key non-enumerable, so {...ssl, ca} silently drops the key.', likelihood: overriding.length ? 'medium' : 'high', confirm: 'Build a fresh ssl object with ca, cert and key for each client/pool.' });
  } else if (isJava(ctx)) {
    causes.push({ cause: 'pgJDBC could not read the key (the PKCS#1 PEM key cockroach cert writes, or a DER key named .key on 42.7.9-42.7.12) and silently sent no certificate.', likelihood: 'high', confirm: '`file` on the sslkey file says PEM / ASCII text and its first line is BEGIN RSA PRIVATE KEY.', command: sh`file ${keyWord(ctx)}` });
  } else if (ctx.family === 'prisma') {
    causes.push({ cause: 'prisma migrate (the Rust engine) got a URL with sslcert/sslkey in libpq\'s meaning: it reads sslcert as the CA, ignores sslkey and sslrootcert, and sends a client certificate only from sslidentity (PKCS#12). Prisma 7 queries (node-postgres adapter) may work with the same settings while migrate fails with P1010.', likelihood: 'high', confirm: 'The failing command is prisma migrate / db push, and its URL has no sslidentity.' });
    causes.push({ cause: 'The Prisma 7 client\'s adapter (PrismaPg) was given no ssl.cert / ssl.key, or a URL with ssl* parameters that replaced its ssl object.', likelihood: 'medium', confirm: 'The PrismaPg options have ssl with ca, cert and key, and its connectionString has no ssl* parameters.' });
  } else {
    causes.push({ cause: `${settingName(ctx, 'cert')}/${settingName(ctx, 'key')} are not set; libpq then looks for ~/.postgresql/postgresql.crt and, if absent, silently sends no certificate.`, likelihood: 'high', confirm: `The settings name no ${settingName(ctx, 'cert')}/${settingName(ctx, 'key')} (PGSSLCERT/PGSSLKEY unset).` });
  }
  causes.push({ cause: 'This user must log in with a certificate (HBA method cert) and none exists for it yet.', likelihood: 'medium', confirm: 'The certs dir has no client.USER.crt for this user.', command: sh`ls -l ${raw(`${sh`${certsDirWord(ctx)}`}/client.${sh`${userWord(ctx)}`}.*`)}` });
  return causes;
}

export const clientCertRequired: Guide = {
  confirm: () => 'the server log / error says no client certificate arrived ("no TLS peer certificates", "connection requires a valid client certificate"), and the TLS handshake itself succeeded',
  explanation: (ctx) =>
    `The server requires a client certificate for this login and none arrived. CockroachDB says "no TLS peer certificates, but required for auth" when its HBA rule is cert; PostgreSQL with clientcert=verify-full says "connection requires a valid client certificate". With CockroachDB's default cert-password rule a missing certificate falls back to a password instead, so "no password supplied" can mean the same thing.${isNodeFamily(ctx) ? ' In node-postgres this usually means the ssl object lost its cert/key.' : ''}`,
  causes: requiredCauses,
  fixes: (ctx) => [
    { action: `If ${userOf(ctx)} has no client certificate yet, create one (keep the key on the client machine; use --csr to sign a key created there).`, command: createClient(ctx, isJava(ctx) ? ' --also-generate-pkcs8-key' : ctx.family === 'prisma' ? ' --also-generate-pkcs12' : '') },
    ...(isNodeFamily(ctx) && nodeOverridingParams(ctx).length ? [{ action: `Remove ${nodeOverridingParams(ctx).join(', ')} from the connection string: they replace the ssl object and its cert/key.` }] : []),
    ...configureSteps(ctx, `Give ${clientName(ctx)} the client certificate and key`, true),
  ],
  nextTools: (ctx) => [connectionStringTool(ctx, 'the complete settings with the client certificate'), testConnectionTool(ctx)],
};

export const clientCertUserMismatch: Guide = {
  confirm: (ctx) => `the certificate's CN (or crdb:// URI SAN) is not the SQL user being requested (\`${sh`openssl x509 -in ${certWord(ctx)} -noout -subject -ext subjectAltName`}\`)`,
  explanation: (ctx) => {
    if (rootLockdown(ctx)) return ROOT_LOCKDOWN;
    if (ctx.signals.has('cockroach.san-auth-failed')) {
      return `CockroachDB 26.x checked the certificate's Subject Alternative Names, not its CN: with security.client_cert.san_required.enabled = true, root and node must present the SANs the nodes were started with (--root-cert-san / --node-cert-san, e.g. DNS=root.example.com, URI=..., IP=...: every one of them), other users a SAN the identity map (server.identity_map.configuration, SAN:DNS:...) maps to the user; there is no fallback to the CN, only to a configured --root-cert-distinguished-name / --node-cert-distinguished-name.`;
    }
    const requested = ctx.facts.users.find((u) => u.role === 'requested')?.user;
    const certUser = ctx.facts.users.find((u) => u.role === 'certificate')?.user;
    const detail = requested && certUser ? ` Here the login is for "${requested}" and the certificate is for "${certUser}".` : requested ? ` The login is for "${requested}".` : '';
    return `The certificate is trusted, but it names another SQL user than the one logging in. CockroachDB takes the identity from the CN and DNS SANs (through --cert-principal-map), or ONLY from crdb:// URI SANs when the certificate has any; a role with a SUBJECT option must match the full subject DN; a CN=node certificate no longer logs in as other users.${detail}`;
  },
  causes: (ctx) => [
    { cause: `The client uses another user's certificate (often client.root.crt for an application user).`, likelihood: 'high', confirm: 'Read the certificate subject and SANs.', command: sh`openssl x509 -in ${certWord(ctx)} -noout -subject -ext subjectAltName` },
    { cause: 'The certificate has crdb:// URI SANs, so its CN is ignored; or its tenant scope does not include this tenant.', likelihood: 'low', confirm: 'The SAN list shows URI:crdb://...' },
    { cause: 'The role has a SUBJECT option (or subject_required is on) and the DN differs.', likelihood: 'low', confirm: 'SHOW ROLES / the role options show a SUBJECT.' },
    ...(userOf(ctx) === 'root' || userOf(ctx) === 'debug_user' ? [{ cause: `The nodes refuse ${userOf(ctx)} by policy (CockroachDB 26.1+: started with --disallow-root-login, or without --allow-debug-user): the certificate is not the problem.`, likelihood: rootLockdown(ctx) ? 'high' as const : 'low' as const, confirm: 'The cockroach start command line of the nodes shows --disallow-root-login (or lacks --allow-debug-user); RPC commands say "failed to perform RPC, as root login has been disallowed".' }] : []),
  ],
  fixes: (ctx) => rootLockdown(ctx) ? rootLockdownFixes(ctx) : ctx.signals.has('cockroach.san-auth-failed') ? sanIdentityFixes(ctx) : [
    { action: 'Either log in as the user the certificate names, or issue a certificate for this user.', command: createClient(ctx) },
    ...configureSteps(ctx, `Use client.${userOf(ctx)}.crt/.key in ${clientName(ctx)}`, true),
    { action: 'If the role requires a subject: set it to the certificate\'s exact DN.', command: alterRoleSubject(ctx) },
  ],
  nextTools: (ctx) => [inspectTool(certOf(ctx), 'show the CN and SANs the server maps to a user'), { tool: 'create_client_cert', arguments: { user: userOf(ctx), certs_dir: certsDirOf(ctx) }, reason: 'a certificate for the user that logs in' }],
};

/**
 * CockroachDB 26.1 root lockdown (cockroachdb/docs v26.1 security-reference/authentication.md;
 * cockroachdb/cockroach#155216, #158963): with --disallow-root-login no certificate or password
 * logs in as root, over SQL or RPC; debug_user is the way in for debug zip / tsdump, and only on
 * nodes started with --allow-debug-user.
 */
const rootLockdown = (ctx: FixContext) => ctx.signals.has('cockroach.root-login-disallowed') || ctx.signals.has('cockroach.debug-user-not-allowed');
const ROOT_LOCKDOWN = 'The certificate is fine: the cluster refuses the user by policy. CockroachDB 26.1 nodes started with --disallow-root-login reject root over SQL ("certificate authentication failed for user "root"") and RPC ("failed to perform RPC, as root login has been disallowed"), whatever certificate or password it presents; debug_user, meant for debug zip and tsdump, is refused unless the nodes run with --allow-debug-user.';

function rootLockdownFixes(ctx: FixContext): StepDraft[] {
  return [
    { action: 'Log in as another admin user (a client certificate of its own; root stays locked out by design).', command: sh`openssl x509 -in ${certWord(ctx)} -noout -subject` },
    { action: 'For debug zip / tsdump use debug_user: it needs CREATE USER debug_user (run by an admin), a certificate with CN or SAN debug_user, and nodes restarted with --allow-debug-user.', command: sh`cockroach debug zip debug.zip ${certsDirFlag(ctx)} --user debug_user` },
    { action: 'Only if root must come back: restart the nodes without --disallow-root-login (a rolling restart; it is a cockroach start flag, not a cluster setting).' },
  ];
}

/** CockroachDB 26.x SAN identity (pkg/cli/interactive_tests/test_san_based_authentication.tcl). */
function sanIdentityFixes(ctx: FixContext): StepDraft[] {
  return [
    { action: 'See which SANs the certificate has: for root and node every SAN given to --root-cert-san / --node-cert-san must be among them.', command: sh`openssl x509 -in ${certWord(ctx)} -noout -subject -ext subjectAltName` },
    { action: 'See whether SAN identity is on, and which identity map applies to other users.', command: "cockroach sql -e 'SHOW CLUSTER SETTING security.client_cert.san_required.enabled; SHOW CLUSTER SETTING server.identity_map.configuration'" },
    { action: 'Re-issue the client certificate with the SANs the cluster expects (a CSR with -addext subjectAltName=DNS:...,URI:...,IP:..., signed by the cluster CA), or map a SAN the certificate has to the user: server.identity_map.configuration \'crdb SAN:DNS:name user\' with an HBA rule "hostssl all user all cert map=crdb".' },
    { action: 'Or, while migrating, turn SAN identity off again (CN identity then applies).', command: "cockroach sql -e 'SET CLUSTER SETTING security.client_cert.san_required.enabled = false'" },
  ];
}

export const clientKeyPermissions: Guide = {
  confirm: (ctx) => `\`${sh`ls -l ${keyWord(ctx)}`}\` shows group or other permission bits (anything beyond -rw-------)`,
  explanation: () =>
    'The private key file is readable by group or others, and the reader refuses it. libpq (psql, psycopg) and lib/pq accept 0600 owned by the current user, or 0640 owned by root; a CockroachDB node accepts at most 0700 (0740 when root owns the file and it shares the process\'s group).',
  causes: (ctx) => [
    { cause: 'The key was copied or unpacked with a default umask (0644).', likelihood: 'high', confirm: 'Look at its mode.', command: sh`ls -l ${keyWord(ctx)}` },
    { cause: 'Kubernetes mounted the secret with defaultMode 0644.', likelihood: 'medium', confirm: 'kubectl get pod -o yaml shows the secret volume defaultMode.' },
  ],
  fixes: (ctx) => [
    { action: 'Make the key readable by its owner only.', command: sh`chmod 600 ${keyWord(ctx)}` },
    { action: 'In Kubernetes, mount the secret with a restrictive mode (root-owned 0640 is accepted by libpq; set fsGroup so the process can read it).', snippet: { label: 'pod spec volume', language: 'yaml', text: 'volumes:\n  - name: certs\n    secret:\n      secretName: cockroach-client-certs\n      defaultMode: 0440' } },
    { action: 'COCKROACH_SKIP_KEY_PERMISSION_CHECK=true disables the node-side check; prefer fixing the mode.' },
  ],
  nextTools: (ctx) => [listCertsTool(path.dirname(keyOf(ctx)), 'flags key files whose mode is too open')],
};

export const clientKeyMismatch: Guide = {
  confirm: (ctx) => `the public key hashes differ: \`${sh`openssl x509 -in ${certWord(ctx)} -noout -pubkey | openssl sha256`}\` vs \`${sh`openssl pkey -in ${keyWord(ctx)} -pubout | openssl sha256`}\``,
  explanation: () => 'The private key does not belong to the certificate: the files are from two different issuances (a certificate renewed with a new key while the old key stayed, or files of two users mixed).',
  causes: (ctx) => [{ cause: 'Certificate and key come from different issuances.', likelihood: 'high', confirm: 'Compare the public key of each.', command: sh`openssl x509 -in ${certWord(ctx)} -noout -pubkey | openssl sha256; openssl pkey -in ${keyWord(ctx)} -pubout | openssl sha256` }],
  fixes: (ctx) => [
    { action: 'Use the key that was generated with this certificate, or issue both again together.', command: createClient(ctx, ' --overwrite') },
  ],
  nextTools: (ctx) => [listCertsTool(certsDirOf(ctx), 'reports key/certificate pairs that do not match')],
};

/** The PKCS#1/PEM key path without a .pk8 suffix, and the .pk8 next to it, as shell words. */
function pk8Words(ctx: FixContext): { pem: string | Shell; pk8: string | Shell } {
  const key = keyWord(ctx);
  if (typeof key !== 'string') return { pem: key, pk8: raw(`${key.text}.pk8`) };
  return { pem: key.toLowerCase().endsWith('.pk8') ? key.slice(0, -4) : key, pk8: pkcs8PathFor(key) };
}

function alterRoleSubject(ctx: FixContext): string {
  const user = userWord(ctx);
  if (typeof user === 'string') return sh`cockroach sql -e ${`ALTER ROLE ${user} WITH SUBJECT 'O=Cockroach,CN=${user}'`}`;
  return `cockroach sql -e "ALTER ROLE \${SQL_USER:?the SQL user} WITH SUBJECT 'O=Cockroach,CN=\${SQL_USER}'"`;
}

/**
 * pgJDBC's key formats by version (pgjdbc/pgjdbc ssl/LibPQFactory.java, CHANGELOG): up to 42.7.8
 * every key but .p12/.pfx is read as PKCS#8 DER; 42.7.9 (pgjdbc#3700) reads .key and .pem as PEM,
 * PKCS#8 only ("BEGIN PRIVATE KEY"), so a DER key named .key broke (pgjdbc#3942); 42.7.13
 * (pgjdbc#3946) detects PEM or DER. A PKCS#8 DER file named .pk8 works with every version; the
 * PKCS#1 "BEGIN RSA PRIVATE KEY" file cockroach cert writes works with none.
 */
const PGJDBC_KEY_ADVICE = 'pgJDBC never reads the PKCS#1 key cockroach cert writes (BEGIN RSA PRIVATE KEY). A PKCS#8 DER key named .pk8 works with every pgJDBC version; 42.7.9 and later also read a PKCS#8 PEM key (BEGIN PRIVATE KEY) named .key or .pem, but 42.7.9-42.7.12 fail on a DER key named .key (pgjdbc#3942, fixed by pgjdbc#3946 in 42.7.13).';

function keyFormatFixes(ctx: FixContext): StepDraft[] {
  const key = keyWord(ctx);
  if (isJava(ctx)) {
    const { pem, pk8 } = pk8Words(ctx);
    const pemPk8 = typeof pem === 'string' ? `${pem.toLowerCase().endsWith('.key') ? pem.slice(0, -4) : pem}.pkcs8.pem` : raw(`${pem.text}.pkcs8.pem`);
    return [
      { action: `${PGJDBC_KEY_ADVICE} Convert the key to PKCS#8 DER (.pk8), for every pgJDBC version and DBeaver:`, command: sh`openssl pkcs8 -topk8 -inform PEM -outform DER -in ${pem} -out ${pk8} -nocrypt && chmod 600 ${pk8}` },
      { action: 'Or, with pgJDBC 42.7.9 or later only, a PKCS#8 PEM key named .pem:', command: sh`openssl pkcs8 -topk8 -in ${pem} -out ${pemPk8} -nocrypt && chmod 600 ${pemPk8}` },
      { action: 'Or issue the client certificate with the PKCS#8 DER key alongside (client.USER.key.pk8).', command: createClient(ctx, ' --also-generate-pkcs8-key') },
      ...configureSteps(ctx, 'Name the .pk8 file in sslkey', true),
      { action: 'Do not encrypt the .pk8 with PBES2 (AES): Java fails with "Cannot find any provider supporting 1.2.840.113549.1.5.13" (pgjdbc/pgjdbc#1585). DBeaver 26.x also fails on PEM keys ("Illegal base64 character 2d", dbeaver/dbeaver#41201).' },
    ];
  }
  if (ctx.family === 'prisma') {
    const cert = certWord(ctx);
    const p12 = typeof cert === 'string' ? pkcs12PathFor(cert) : raw(`${cert.text}.p12`);
    return [
      { action: 'Prisma\'s Rust connector (prisma migrate, and Prisma 6 queries) reads the client certificate and key as ONE PKCS#12 file (sslidentity) with its password in sslpassword; Prisma 7 queries run through node-postgres and read PEM files (ssl.cert / ssl.key of the pg adapter).', command: sh`openssl pkcs12 -export -in ${cert} -inkey ${key} -out ${p12}` },
      ...configureSteps(ctx, 'Reference it in the DATABASE_URL', true),
    ];
  }
  if (ctx.family === 'changefeed') {
    return [{ action: 'client_cert and client_key must be base64 (standard alphabet, padded, one line) of UNENCRYPTED PEM, then URL-encoded.', command: sh`openssl pkey -in ${key} -out client.decrypted.key && base64 -w 0 client.decrypted.key` }];
  }
  return [
    { action: 'See what the file holds: a PEM key starts with -----BEGIN (RSA |EC |ENCRYPTED )PRIVATE KEY-----.', command: sh`head -c 40 ${key}; echo; openssl pkey -in ${key} -noout && echo PEM key OK` },
    { action: 'A DER key: convert it to PEM.', command: sh`openssl pkey -inform DER -in ${key} -out ${key}.pem` },
    { action: ctx.family === 'go' ? 'An encrypted key: Go (pgx, lib/pq) reads only PKCS#1 keys encrypted the old way, with sslpassword; store it decrypted with mode 0600 instead.' : 'An encrypted key: give its password (libpq sslpassword, node ssl.passphrase) or store it decrypted with mode 0600.', command: sh`openssl pkey -in ${key} -out ${key}.decrypted && chmod 600 ${key}.decrypted` },
    ...configureSteps(ctx, `Point ${clientName(ctx)} at the usable key`, true),
  ];
}

export const clientKeyFormat: Guide = {
  confirm: (ctx) => `\`${sh`openssl pkey -in ${keyWord(ctx)} -noout`}\` fails, or the client needs another container (Java: PKCS#8 DER; Prisma: PKCS#12)`,
  explanation: (ctx) =>
    isJava(ctx)
      ? `pgJDBC could not read the client key. ${PGJDBC_KEY_ADVICE} When it cannot read the key pgJDBC may send NO certificate at all, and the server then asks for a password instead.`
      : 'The client could not read the private key in the form it was given: not PEM (DER, or the wrong file), encrypted without a password, or a format this client does not take (pgJDBC PKCS#8, Prisma\'s Rust engine a PKCS#12 identity, changefeed URIs unencrypted PEM).',
  causes: (ctx) =>
    isJava(ctx)
      ? [
          { cause: 'sslkey names the PEM key (client.USER.key) instead of the PKCS#8 DER one (client.USER.key.pk8).', likelihood: 'high', confirm: '`file` says PEM / ASCII text.', command: sh`file ${keyWord(ctx)}` },
          { cause: 'The .pk8 is encrypted with an algorithm the JVM lacks (PBES2).', likelihood: 'medium', confirm: 'The error names 1.2.840.113549.1.5.13.' },
        ]
      : [
          { cause: 'The key is encrypted and no password was given.', likelihood: 'high', confirm: 'The PEM header says ENCRYPTED or has Proc-Type: 4,ENCRYPTED.', command: sh`head -3 ${keyWord(ctx)}` },
          { cause: 'The file is not a PEM key (DER, a certificate, or cert and key swapped).', likelihood: 'medium', confirm: 'Check what the file holds.', command: sh`openssl pkey -in ${keyWord(ctx)} -noout` },
        ],
  fixes: keyFormatFixes,
  nextTools: (ctx) => [connectionStringTool(ctx, 'the key file name and format this client expects')],
};

export const clientCertFileMissing: Guide = {
  confirm: (ctx) => `\`${sh`ls -l ${certWord(ctx)} ${keyWord(ctx)}`}\` reports a missing file`,
  explanation: (ctx) => {
    const file = ctx.facts.files.find((f) => f.role === 'client')?.path;
    return `${file ? `The client certificate or key file ${file}` : 'A client certificate or key file named in the settings'} is missing or unreadable. libpq needs both sslcert and sslkey (a certificate without its key fails); pgx insists on both being set.`;
  },
  causes: (ctx) => [
    { cause: 'The path is wrong or relative to another working directory.', likelihood: 'high', confirm: 'List both files from where the client runs.', command: sh`ls -l ${certWord(ctx)} ${keyWord(ctx)}` },
    { cause: 'Only the certificate was deployed, not its key (or the other way round).', likelihood: 'medium', confirm: 'One of the two files is missing.' },
    { cause: 'The files were never created for this user.', likelihood: 'low', confirm: `ls ${certsDirOf(ctx)}` },
  ],
  fixes: (ctx) => [
    { action: 'Check both files.', command: sh`ls -l ${certWord(ctx)} ${keyWord(ctx)}` },
    { action: 'If they do not exist, create them (key stays 0600).', command: createClient(ctx) },
    ...configureSteps(ctx, 'Name both files with absolute paths', true),
  ],
  nextTools: (ctx) => [listCertsTool(certsDirOf(ctx), 'what the certs dir holds')],
};
