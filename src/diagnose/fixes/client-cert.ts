import path from 'node:path';
import { pkcs12PathFor, pkcs8PathFor } from '../connection-settings.js';
import {
  CA_KEY_PLACEHOLDER,
  caOf,
  certOf,
  certsDirOf,
  clientName,
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

/** Guides for the CLIENT's certificate and key: trusted, present, current, mapped to the right user, readable. */

const createClient = (ctx: FixContext, extra = '') => `crdb-tls cert create-client ${userOf(ctx)} --certs-dir ${certsDirOf(ctx)} --ca-key ${CA_KEY_PLACEHOLDER}${extra}`;
const verifyClient = (ctx: FixContext) => `openssl verify -CAfile ${caOf(ctx)} ${certOf(ctx)}`;

export const clientCertUntrusted: Guide = {
  confirm: (ctx) => `\`${verifyClient(ctx)}\` (with the cluster's ca-client.crt if it has one) does not print "OK"`,
  explanation: (ctx) =>
    `The server ended the handshake with an "unknown CA" / "bad certificate" alert: it received the client certificate but it does not chain to a CA the cluster trusts for clients — ca-client.crt when the cluster has one, else ca.crt (reference §3.1). This is the server rejecting the CLIENT; the client did not get as far as SQL authentication.${isCloud(ctx) ? ' On CockroachDB Cloud (Advanced only) the cluster trusts a client CA only after it is uploaded and its status is IS_SET.' : ''}`,
  causes: (ctx) => [
    { cause: 'The client certificate was signed by another CA: another cluster\'s, a test CA, or a CA re-created since.', likelihood: 'high', confirm: 'Verify the client certificate against the cluster CA.', command: verifyClient(ctx) },
    { cause: 'The cluster has a separate client CA (ca-client.crt) and the certificate was signed by ca.crt, or the other way round.', likelihood: 'medium', confirm: 'ls the node\'s certs dir for ca-client.crt; verify against it.', command: `openssl verify -CAfile ${certsDirOf(ctx)}/ca-client.crt ${certOf(ctx)}` },
    ...(isCloud(ctx) ? [{ cause: 'Cloud: the Client CA is not set for this cluster, or its update is still PENDING / FAILED.', likelihood: 'high' as const, confirm: 'ccloud cluster networking client-ca-cert get <cluster> shows status IS_SET with your CA.', command: 'ccloud cluster networking client-ca-cert get <cluster>' }] : []),
    { cause: 'The certificate lacks the clientAuth usage (a "bad certificate" alert).', likelihood: 'low', confirm: 'Extended Key Usage must include TLS Web Client Authentication.', command: `openssl x509 -in ${certOf(ctx)} -noout -ext extendedKeyUsage` },
    { cause: 'The client sends another file than you think (libpq default ~/.postgresql/postgresql.crt, a stale mounted secret).', likelihood: 'low', confirm: 'Print the subject and issuer of the file the settings name.', command: `openssl x509 -in ${certOf(ctx)} -noout -subject -issuer` },
  ],
  fixes: (ctx) => [
    { action: 'Check the client certificate against the CA the cluster trusts for clients.', command: verifyClient(ctx) },
    ...(isCloud(ctx)
      ? [{ action: 'Upload the CA that signed your client certificates as the cluster\'s Client CA, then wait until its status is IS_SET (the call is asynchronous).', command: 'ccloud cluster networking client-ca-cert set <cluster> --cert-file <client-ca.crt>' }]
      : [{ action: 'Issue the client certificate from the cluster\'s CA (the key at --ca-key must be that CA\'s key).', command: createClient(ctx) }]),
    ...configureSteps(ctx, `Give ${clientName(ctx)} the certificate and key`, true),
  ],
  nextTools: (ctx) => [
    inspectTool(certOf(ctx), 'verify the client certificate against the cluster CA', caOf(ctx)),
    ...(isCloud(ctx) ? [{ tool: 'get_client_ca', arguments: { cluster_id: '<cluster-id>' }, reason: 'see which Client CA the Cloud cluster trusts and its status' }] : []),
  ],
};

export const clientCertExpired: Guide = {
  confirm: (ctx) => `\`openssl x509 -in ${certOf(ctx)} -noout -enddate\` shows a date in the past`,
  explanation: () => 'The server received the client certificate and rejected it with a certificate_expired alert: the client certificate is past its end date.',
  causes: (ctx) => [
    { cause: 'The client certificate expired.', likelihood: 'high', confirm: 'Read its end date.', command: `openssl x509 -in ${certOf(ctx)} -noout -enddate` },
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
    causes.push({ cause: 'The ssl object has no cert/key, or it was re-used: pg makes ssl.key non-enumerable, so {...ssl, ca} silently drops the key (toolchain §3).', likelihood: overriding.length ? 'medium' : 'high', confirm: 'Build a fresh ssl object with ca, cert and key for each client/pool.' });
  } else if (isJava(ctx)) {
    causes.push({ cause: 'pgJDBC could not read the key (PEM instead of PKCS#8 DER) and silently sent no certificate (reference §6.4).', likelihood: 'high', confirm: 'sslkey does not end in .pk8; `file <key>` says PEM/ASCII text.', command: `file ${keyOf(ctx)}` });
  } else if (ctx.family === 'prisma') {
    causes.push({ cause: 'No sslidentity (PKCS#12 with certificate and key) in the Prisma URL.', likelihood: 'high', confirm: 'The DATABASE_URL has no sslidentity parameter.' });
  } else {
    causes.push({ cause: 'sslcert/sslkey are not set; libpq then looks for ~/.postgresql/postgresql.crt and, if absent, silently sends no certificate.', likelihood: 'high', confirm: 'The settings name no sslcert/sslkey (PGSSLCERT/PGSSLKEY unset).' });
  }
  causes.push({ cause: 'This user must log in with a certificate (HBA method cert) and none exists for it yet.', likelihood: 'medium', confirm: `ls ${certsDirOf(ctx)}/client.${userOf(ctx)}.crt`, command: `ls -l ${certsDirOf(ctx)}/client.${userOf(ctx)}.*` });
  return causes;
}

export const clientCertRequired: Guide = {
  confirm: () => 'the server log / error says no client certificate arrived ("no TLS peer certificates", "connection requires a valid client certificate"), and the TLS handshake itself succeeded',
  explanation: (ctx) =>
    `The server requires a client certificate for this login and none arrived. CockroachDB says "no TLS peer certificates, but required for auth" when its HBA rule is cert; PostgreSQL with clientcert=verify-full says "connection requires a valid client certificate". With CockroachDB's default cert-password rule a missing certificate falls back to a password instead (reference §3.2), so "no password supplied" can mean the same thing.${isNodeFamily(ctx) ? ' In node-postgres this usually means the ssl object lost its cert/key.' : ''}`,
  causes: requiredCauses,
  fixes: (ctx) => [
    { action: `If ${userOf(ctx)} has no client certificate yet, create one (keep the key on the client machine; use --csr to sign a key created there).`, command: createClient(ctx, isJava(ctx) ? ' --also-generate-pkcs8-key' : ctx.family === 'prisma' ? ' --also-generate-pkcs12' : '') },
    ...(isNodeFamily(ctx) && nodeOverridingParams(ctx).length ? [{ action: `Remove ${nodeOverridingParams(ctx).join(', ')} from the connection string: they replace the ssl object and its cert/key.` }] : []),
    ...configureSteps(ctx, `Give ${clientName(ctx)} the client certificate and key`, true),
  ],
  nextTools: (ctx) => [connectionStringTool(ctx, 'the complete settings with the client certificate'), testConnectionTool(ctx)],
};

export const clientCertUserMismatch: Guide = {
  confirm: (ctx) => `the certificate's CN (or crdb:// URI SAN) is not the SQL user being requested (\`openssl x509 -in ${certOf(ctx)} -noout -subject -ext subjectAltName\`)`,
  explanation: (ctx) => {
    const requested = ctx.facts.users.find((u) => u.role === 'requested')?.user;
    const certUser = ctx.facts.users.find((u) => u.role === 'certificate')?.user;
    const detail = requested && certUser ? ` Here the login is for "${requested}" and the certificate is for "${certUser}".` : requested ? ` The login is for "${requested}".` : '';
    return `The certificate is trusted, but it names another SQL user than the one logging in. CockroachDB takes the identity from the CN and DNS SANs (through --cert-principal-map), or ONLY from crdb:// URI SANs when the certificate has any; a role with a SUBJECT option must match the full subject DN; a CN=node certificate no longer logs in as other users (reference §3.2).${detail}`;
  },
  causes: (ctx) => [
    { cause: `The client uses another user's certificate (often client.root.crt for an application user).`, likelihood: 'high', confirm: 'Read the certificate subject and SANs.', command: `openssl x509 -in ${certOf(ctx)} -noout -subject -ext subjectAltName` },
    { cause: 'The certificate has crdb:// URI SANs, so its CN is ignored; or its tenant scope does not include this tenant.', likelihood: 'low', confirm: 'The SAN list shows URI:crdb://...' },
    { cause: 'The role has a SUBJECT option (or subject_required is on) and the DN differs.', likelihood: 'low', confirm: 'SHOW ROLES / the role options show a SUBJECT.' },
  ],
  fixes: (ctx) => [
    { action: 'Either log in as the user the certificate names, or issue a certificate for this user.', command: createClient(ctx) },
    ...configureSteps(ctx, `Use client.${userOf(ctx)}.crt/.key in ${clientName(ctx)}`, true),
    { action: 'If the role requires a subject: set it to the certificate\'s exact DN.', command: `cockroach sql -e "ALTER ROLE ${userOf(ctx)} WITH SUBJECT 'O=Cockroach,CN=${userOf(ctx)}'"` },
  ],
  nextTools: (ctx) => [inspectTool(certOf(ctx), 'show the CN and SANs the server maps to a user'), { tool: 'create_client_cert', arguments: { user: userOf(ctx), certs_dir: certsDirOf(ctx) }, reason: 'a certificate for the user that logs in' }],
};

export const clientKeyPermissions: Guide = {
  confirm: (ctx) => `\`ls -l ${keyOf(ctx)}\` shows group or other permission bits (anything beyond -rw-------)`,
  explanation: () =>
    'The private key file is readable by group or others, and the reader refuses it. libpq (psql, psycopg) and lib/pq accept 0600 owned by the current user, or 0640 owned by root; a CockroachDB node accepts at most 0700 (0740 when root owns the file and it shares the process\'s group) (reference §1.5, §6.2).',
  causes: (ctx) => [
    { cause: 'The key was copied or unpacked with a default umask (0644).', likelihood: 'high', confirm: 'Look at its mode.', command: `ls -l ${keyOf(ctx)}` },
    { cause: 'Kubernetes mounted the secret with defaultMode 0644.', likelihood: 'medium', confirm: 'kubectl get pod -o yaml shows the secret volume defaultMode.' },
  ],
  fixes: (ctx) => [
    { action: 'Make the key readable by its owner only.', command: `chmod 600 ${keyOf(ctx)}` },
    { action: 'In Kubernetes, mount the secret with a restrictive mode (root-owned 0640 is accepted by libpq; set fsGroup so the process can read it).', snippet: { label: 'pod spec volume', language: 'yaml', text: 'volumes:\n  - name: certs\n    secret:\n      secretName: cockroach-client-certs\n      defaultMode: 0440' } },
    { action: 'COCKROACH_SKIP_KEY_PERMISSION_CHECK=true disables the node-side check; prefer fixing the mode.' },
  ],
  nextTools: (ctx) => [listCertsTool(path.dirname(keyOf(ctx)), 'flags key files whose mode is too open')],
};

export const clientKeyMismatch: Guide = {
  confirm: (ctx) => `the public key hashes differ: \`openssl x509 -in ${certOf(ctx)} -noout -pubkey | openssl sha256\` vs \`openssl pkey -in ${keyOf(ctx)} -pubout | openssl sha256\``,
  explanation: () => 'The private key does not belong to the certificate: the files are from two different issuances (a certificate renewed with a new key while the old key stayed, or files of two users mixed).',
  causes: (ctx) => [{ cause: 'Certificate and key come from different issuances.', likelihood: 'high', confirm: 'Compare the public key of each.', command: `openssl x509 -in ${certOf(ctx)} -noout -pubkey | openssl sha256; openssl pkey -in ${keyOf(ctx)} -pubout | openssl sha256` }],
  fixes: (ctx) => [
    { action: 'Use the key that was generated with this certificate, or issue both again together.', command: createClient(ctx, ' --overwrite') },
  ],
  nextTools: (ctx) => [listCertsTool(certsDirOf(ctx), 'reports key/certificate pairs that do not match')],
};

function keyFormatFixes(ctx: FixContext): StepDraft[] {
  const key = keyOf(ctx);
  if (isJava(ctx)) {
    return [
      { action: 'pgJDBC (and DBeaver) read the client key as unencrypted PKCS#8 DER. Convert the PEM key (reference §6.4):', command: `openssl pkcs8 -topk8 -inform PEM -outform DER -in ${key.endsWith('.pk8') ? key.slice(0, -4) : key} -out ${pkcs8PathFor(key)} -nocrypt` },
      { action: 'Or issue the client certificate with the PKCS#8 key alongside (client.USER.key.pk8).', command: createClient(ctx, ' --also-generate-pkcs8-key') },
      ...configureSteps(ctx, 'Name the .pk8 file in sslkey', true),
      { action: 'Do not encrypt the .pk8 with PBES2 (AES): Java fails with "Cannot find any provider supporting 1.2.840.113549.1.5.13" (pgjdbc/pgjdbc#1585). DBeaver 26.x also fails on PEM keys ("Illegal base64 character 2d", dbeaver/dbeaver#41201).' },
    ];
  }
  if (ctx.family === 'prisma') {
    const cert = certOf(ctx);
    return [
      { action: 'Prisma reads the client certificate and key as ONE PKCS#12 file (sslidentity) with its password in sslpassword.', command: `openssl pkcs12 -export -in ${cert} -inkey ${key} -out ${pkcs12PathFor(cert)}` },
      ...configureSteps(ctx, 'Reference it in the DATABASE_URL', true),
    ];
  }
  if (ctx.family === 'changefeed') {
    return [{ action: 'client_cert and client_key must be base64 (standard alphabet, padded, one line) of UNENCRYPTED PEM, then URL-encoded (reference §5.2).', command: `openssl pkey -in ${key} -out client.decrypted.key && base64 -w 0 client.decrypted.key` }];
  }
  return [
    { action: 'See what the file holds: a PEM key starts with -----BEGIN (RSA |EC |ENCRYPTED )PRIVATE KEY-----.', command: `head -c 40 ${key}; echo; openssl pkey -in ${key} -noout && echo PEM key OK` },
    { action: 'A DER key: convert it to PEM.', command: `openssl pkey -inform DER -in ${key} -out ${key}.pem` },
    { action: ctx.family === 'go' ? 'An encrypted key: Go (pgx, lib/pq) reads only PKCS#1 keys encrypted the old way, with sslpassword; store it decrypted with mode 0600 instead.' : 'An encrypted key: give its password (libpq sslpassword, node ssl.passphrase) or store it decrypted with mode 0600.', command: `openssl pkey -in ${key} -out ${key}.decrypted && chmod 600 ${key}.decrypted` },
    ...configureSteps(ctx, `Point ${clientName(ctx)} at the usable key`, true),
  ];
}

export const clientKeyFormat: Guide = {
  confirm: (ctx) => `\`openssl pkey -in ${keyOf(ctx)} -noout\` fails, or the client needs another container (Java: PKCS#8 DER; Prisma: PKCS#12)`,
  explanation: (ctx) =>
    isJava(ctx)
      ? 'pgJDBC could not read the client key: it wants PKCS#8 DER (a .pk8 file) or PKCS#12, while CockroachDB writes PEM (PKCS#1) keys (reference §1.3, §6.4). When it cannot read the key pgJDBC may send NO certificate at all, and the server then asks for a password instead.'
      : 'The client could not read the private key in the form it was given: not PEM (DER, or the wrong file), encrypted without a password, or a format this client does not take (Java needs PKCS#8 DER, Prisma a PKCS#12 identity, changefeed URIs unencrypted PEM).',
  causes: (ctx) =>
    isJava(ctx)
      ? [
          { cause: 'sslkey names the PEM key (client.USER.key) instead of the PKCS#8 DER one (client.USER.key.pk8).', likelihood: 'high', confirm: '`file` says PEM / ASCII text.', command: `file ${keyOf(ctx)}` },
          { cause: 'The .pk8 is encrypted with an algorithm the JVM lacks (PBES2).', likelihood: 'medium', confirm: 'The error names 1.2.840.113549.1.5.13.' },
        ]
      : [
          { cause: 'The key is encrypted and no password was given.', likelihood: 'high', confirm: 'The PEM header says ENCRYPTED or has Proc-Type: 4,ENCRYPTED.', command: `head -3 ${keyOf(ctx)}` },
          { cause: 'The file is not a PEM key (DER, a certificate, or cert and key swapped).', likelihood: 'medium', confirm: 'Check what the file holds.', command: `openssl pkey -in ${keyOf(ctx)} -noout` },
        ],
  fixes: keyFormatFixes,
  nextTools: (ctx) => [connectionStringTool(ctx, 'the key file name and format this client expects')],
};

export const clientCertFileMissing: Guide = {
  confirm: (ctx) => `\`ls -l ${certOf(ctx)} ${keyOf(ctx)}\` reports a missing file`,
  explanation: (ctx) => {
    const file = ctx.facts.files.find((f) => f.role === 'client')?.path;
    return `${file ? `The client certificate or key file ${file}` : 'A client certificate or key file named in the settings'} is missing or unreadable. libpq needs both sslcert and sslkey (a certificate without its key fails); pgx insists on both being set.`;
  },
  causes: (ctx) => [
    { cause: 'The path is wrong or relative to another working directory.', likelihood: 'high', confirm: 'List both files from where the client runs.', command: `ls -l ${certOf(ctx)} ${keyOf(ctx)}` },
    { cause: 'Only the certificate was deployed, not its key (or the other way round).', likelihood: 'medium', confirm: 'One of the two files is missing.' },
    { cause: 'The files were never created for this user.', likelihood: 'low', confirm: `ls ${certsDirOf(ctx)}` },
  ],
  fixes: (ctx) => [
    { action: 'Check both files.', command: `ls -l ${certOf(ctx)} ${keyOf(ctx)}` },
    { action: 'If they do not exist, create them (key stays 0600).', command: createClient(ctx) },
    ...configureSteps(ctx, 'Name both files with absolute paths', true),
  ],
  nextTools: (ctx) => [listCertsTool(certsDirOf(ctx), 'what the certs dir holds')],
};
