/** The settings of JDBC clients (pgJDBC, DBeaver): the jdbc: URL, and the PKCS#8 DER key (.pk8) pgJDBC reads. */
import path from 'node:path';
import { shq } from '../core/shell.js';
import { Prerequisite, type Resolved, pkcs8PathFor, pkcs8Candidates } from './driver-inputs.js';
import { hostForUrl, q, literal, type Built } from './driver-syntax.js';

export function buildJava(r: Resolved): Built {
  // An existing .pk8 is used as it is: telling the person to make one again would be wrong.
  const existingPk8 = r.key ? pkcs8Candidates(r.key).find((p) => r.existing.has(p)) : undefined;
  const pk8 = r.key ? (existingPk8 ?? pkcs8PathFor(r.key)) : null;
  const jdbcParams = [`sslmode=verify-full`, `sslrootcert=${q(r.ca)}`, ...(r.cert && pk8 ? [`sslcert=${q(r.cert)}`, `sslkey=${q(pk8)}`] : []), `user=${q(r.user)}`, ...(r.cluster ? [`options=--cluster%3D${q(r.cluster)}`] : [])];
  const jdbcUrl = `jdbc:postgresql://${hostForUrl(r.host)}:${r.port}/${r.database}?${jdbcParams.join('&')}`;
  const prerequisites: Prerequisite[] = [];
  const javaNotes: string[] = [];
  if (r.key && existingPk8 && existingPk8 !== r.key) {
    javaNotes.push(`${existingPk8} already exists and is used as it is; if ${r.cert ?? 'the certificate'} was reissued since it was made, make it again (openssl pkcs8 -topk8 -inform PEM -outform DER -in ${shq(r.key)} -out ${shq(existingPk8)} -nocrypt); crdb-tls cert list flags a .pk8 that no longer goes with its certificate.`);
  } else if (r.key && pk8 !== r.key) {
    prerequisites.push({
      why: `pgJDBC reads the client key as PKCS#8 DER; CockroachDB's own name for it is client.USER.key.pk8`,
      command: `openssl pkcs8 -topk8 -inform PEM -outform DER -in ${shq(r.key)} -out ${shq(pk8!)} -nocrypt`,
    });
    // The certificate named exists (or was not looked at): issuing again replaces it, which create-client does only with --overwrite.
    const replaces = r.cert !== null && (r.existing.has(r.cert) || !r.lookedAt.has(r.cert));
    prerequisites.push({
      why: replaces ? `Or issue a new client certificate with the PKCS#8 key written alongside: this REPLACES ${r.cert} and its key (--overwrite), so every other user of them needs the new files` : 'Or issue a new client certificate with the PKCS#8 key written alongside',
      command: `crdb-tls cert create-client ${shq(r.user)} --certs-dir ${shq(path.dirname(r.cert ?? r.key))} --ca-key my-safe-directory/ca.key --also-generate-pkcs8-key${replaces ? ' --overwrite' : ''}`,
    });
  }
  const semantics =
    "pgJDBC: sslmode=verify-full checks chain and host name against sslrootcert (default ~/.postgresql/root.crt); require encrypts but accepts ANY server certificate; ssl=true alone means verify-full; the default is prefer. The key must be PKCS#8 DER (.pk8) or PKCS#12 (.p12).";
  const notes = [...javaNotes, 'A PKCS#8 key encrypted with PBES2 fails with "Cannot find any provider supporting 1.2.840.113549.1.5.13" (pgjdbc#1585): keep it unencrypted (-nocrypt) and protect the file instead.'];
  if (r.client === 'dbeaver') {
    return {
      settings: [
        {
          label: 'DBeaver connection (PostgreSQL/CockroachDB driver)',
          language: 'text',
          text: [
            `Main: Host ${r.host}, Port ${r.port}, Database ${r.database}, Username ${r.user}${r.cert ? ' (leave the password empty for certificate login)' : ''}`,
            `SSL tab: Use SSL ✓, SSL mode verify-full`,
            `  Root certificate:   ${r.ca}`,
            ...(r.cert && pk8 ? [`  Client certificate: ${r.cert}`, `  Client private key: ${pk8}   (PKCS#8 DER)`] : []),
            ...(r.cluster ? [`Driver properties: options = --cluster=${r.cluster}`] : []),
          ].join('\n'),
        },
        { label: 'equivalent JDBC URL', language: 'url', text: jdbcUrl },
      ],
      prerequisites,
      sslmode_semantics: `DBeaver uses pgJDBC. ${semantics}`,
      notes: [...notes, 'DBeaver 26.x fails on PEM keys with "Invalid argument: Illegal base64 character 2d" (dbeaver/dbeaver#41201): give it the .pk8.'],
      key: pk8,
      keyFormat: pk8 ? 'PKCS#8 DER' : null,
    };
  }
  return {
    settings: [
      { label: 'JDBC URL', language: 'url', text: jdbcUrl },
      { label: 'Java', language: 'java', text: `Connection conn = DriverManager.getConnection(${literal(jdbcUrl)}${r.cert ? '' : ', props /* with "password" */'});` },
    ],
    prerequisites,
    sslmode_semantics: semantics,
    notes,
    key: pk8,
    keyFormat: pk8 ? 'PKCS#8 DER' : null,
  };
}
