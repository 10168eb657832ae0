import path from 'node:path';
import * as z from 'zod';
import { shq } from '../core/shell.js';
import { ToolError } from '../core/errors.js';
import { ClientId, CLIENT_NAMES, Deployment } from './clients.js';
import { isCloudHost, isIpLiteral } from './pasted-settings.js';
import { encodeQueryValue } from './pasted-url.js';
import { wellFormed } from '../core/unicode.js';

/**
 * The correct TLS connection settings for one client, from file PATHS (nothing is read: the
 * settings name files, they do not contain them). verify-full always, with a note wherever the
 * driver's sslmode means something else than libpq's. Sources per client are cited inline.
 */

export const SettingsClient = ClientId.exclude(['kafka-changefeed']);
export type SettingsClient = z.infer<typeof SettingsClient>;

export const DEFAULT_PORT = 26257;
const DEFAULT_DATABASE = 'defaultdb';
/** CockroachDB's certs-dir convention, relative so it reads as a placeholder. */
export const DEFAULT_CA_PATH = 'certs/ca.crt';

export interface SettingsInput {
  client: SettingsClient;
  host: string;
  port?: number;
  user?: string;
  database?: string;
  ca?: string;
  cert?: string;
  key?: string;
  /** CockroachDB Cloud Basic/Standard routing id (`<name>-<tenant id>`) */
  cluster?: string;
  /** Of the paths filesToLookFor names, those that exist (the caller looked; nothing here reads files). */
  existingFiles?: string[];
  /** Those the caller could look at (inside the allowed roots); the others are unknown. */
  lookedAt?: string[];
  deployment?: Deployment;
}

export const Snippet = z.object({
  label: z.string(),
  language: z.string().describe('url, conninfo, shell, env, js, ts, go, python, java, csharp, prisma, text'),
  text: z.string(),
});
export type Snippet = z.infer<typeof Snippet>;

const Prerequisite = z.object({ why: z.string(), command: z.string() });
type Prerequisite = z.infer<typeof Prerequisite>;

export const ConnectionSettings = z.object({
  client: SettingsClient,
  client_name: z.string(),
  deployment: Deployment,
  auth: z.enum(['client-certificate', 'password']),
  sslmode: z.literal('verify-full'),
  host: z.string(),
  port: z.number().int(),
  user: z.string(),
  database: z.string(),
  cluster_routing_id: z.string().nullable(),
  files: z.object({
    ca: z.string().describe('CA certificate the client trusts (sslrootcert)'),
    cert: z.string().nullable(),
    key: z.string().nullable().describe('The key file in the format THIS client reads (PKCS#8 DER .pk8 for Java, PKCS#12 for Prisma)'),
    key_format: z.string().nullable(),
  }),
  settings: z.array(Snippet).describe('The settings, most useful form first'),
  prerequisites: z.array(Prerequisite).describe('Commands to run first (key conversion, CA download)'),
  sslmode_semantics: z.string().describe("What verify-full is called in this client, and where its sslmode differs from libpq's"),
  notes: z.array(z.string()),
});
export type ConnectionSettings = z.infer<typeof ConnectionSettings>;

interface Resolved {
  client: SettingsClient;
  host: string;
  port: number;
  user: string;
  database: string;
  ca: string;
  cert: string | null;
  key: string | null;
  cluster: string | null;
  deployment: Deployment;
  existing: Set<string>;
  lookedAt: Set<string>;
}

const CERT_FILE_PREFIX = 'client.';
const CERT_FILE_SUFFIX = '.crt';

/** `client.alice.crt` → alice (the CockroachDB naming). */
function userFromCertName(certPath: string): string | undefined {
  const base = path.basename(certPath);
  if (base.startsWith(CERT_FILE_PREFIX) && base.endsWith(CERT_FILE_SUFFIX) && base.length > CERT_FILE_PREFIX.length + CERT_FILE_SUFFIX.length) {
    return base.slice(CERT_FILE_PREFIX.length, -CERT_FILE_SUFFIX.length);
  }
  return undefined;
}

function resolve(input: SettingsInput): Resolved {
  if (!input.host.trim()) throw new ToolError('invalid_input', 'host is required', 'Pass the host name the client dials (--host).');
  if ((input.cert === undefined) !== (input.key === undefined)) {
    throw new ToolError('invalid_input', 'a client certificate needs both cert and key', 'Pass --cert and --key together (or neither, for password authentication).');
  }
  const deployment: Deployment = input.deployment ?? (input.cluster || isCloudHost(input.host) ? 'cloud' : 'self-hosted');
  const user = input.user ?? (input.cert ? userFromCertName(input.cert) : undefined) ?? (deployment === 'cloud' ? '{username}' : 'root');
  return {
    client: input.client,
    host: input.host.trim(),
    port: input.port ?? DEFAULT_PORT,
    user,
    database: input.database ?? DEFAULT_DATABASE,
    ca: input.ca ?? DEFAULT_CA_PATH,
    cert: input.cert ?? null,
    key: input.key ?? null,
    cluster: input.cluster ?? null,
    deployment,
    existing: new Set(input.existingFiles ?? []),
    lookedAt: new Set(input.lookedAt ?? []),
  };
}

/** Java reads PKCS#8 DER: CockroachDB writes it as client.USER.key.pk8. */
export function pkcs8PathFor(key: string): string {
  return key.toLowerCase().endsWith('.pk8') ? key : `${key}.pk8`;
}

/** Where a .pk8 for this key may already be: CockroachDB's client.USER.key.pk8, or client.USER.pk8 as the DBeaver docs name it. */
function pkcs8Candidates(key: string): string[] {
  if (key.toLowerCase().endsWith('.pk8')) return [key];
  return [...new Set([`${key}.pk8`, key.toLowerCase().endsWith('.key') ? `${key.slice(0, -'.key'.length)}.pk8` : `${key}.pk8`])];
}

/** The paths whose existence changes the settings (a .pk8 already made, a certificate a command would replace). */
export function filesToLookFor(input: Pick<SettingsInput, 'client' | 'cert' | 'key'>): string[] {
  if ((input.client !== 'jdbc' && input.client !== 'dbeaver') || !input.key) return [];
  return [...pkcs8Candidates(input.key), ...(input.cert ? [input.cert] : [])];
}

/** Prisma reads a PKCS#12 identity: client.USER.p12 next to the certificate. */
export function pkcs12PathFor(cert: string): string {
  return cert.toLowerCase().endsWith(CERT_FILE_SUFFIX) ? `${cert.slice(0, -CERT_FILE_SUFFIX.length)}.p12` : `${cert}.p12`;
}

const hostForUrl = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
const q = encodeQueryValue;
const literal = (value: string) => JSON.stringify(value);
/** Double-quoted for a POSIX shell: `"` `$` `` ` `` and `\` escaped. */
const shellQuote = (value: string) => `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
/** A word left as it is when the shell reads it back unchanged, else double-quoted. */
/** libpq conninfo value: single-quoted when it has spaces or quotes (libpq-connect.html §34.1.1). */
const conninfoValue = (value: string) => (value === '' || /[\s'\\]/.test(value) ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : value);

/** libpq-style URL query: sslmode, files, and the Cloud routing option. */
function libpqQuery(r: Resolved, key: string | null = r.key): string {
  const params = [`sslmode=verify-full`, `sslrootcert=${q(r.ca)}`];
  if (r.cert && key) params.push(`sslcert=${q(r.cert)}`, `sslkey=${q(key)}`);
  // options=--cluster=<id>, URL-encoded as --cluster%3D<id>.
  if (r.cluster) params.push(`options=--cluster%3D${q(r.cluster)}`);
  return params.join('&');
}

function libpqUrl(r: Resolved, scheme = 'postgresql', key: string | null = r.key): string {
  return `${scheme}://${encodeURIComponent(wellFormed(r.user)).replace(/%7B/gi, '{').replace(/%7D/gi, '}').replace(/%3C/gi, '<').replace(/%3E/gi, '>')}@${hostForUrl(r.host)}:${r.port}/${encodeURIComponent(wellFormed(r.database))}?${libpqQuery(r, key)}`;
}

function conninfo(r: Resolved): string {
  const parts = [`host=${conninfoValue(r.host)}`, `port=${r.port}`, `user=${conninfoValue(r.user)}`, `dbname=${conninfoValue(r.database)}`, 'sslmode=verify-full', `sslrootcert=${conninfoValue(r.ca)}`];
  if (r.cert && r.key) parts.push(`sslcert=${conninfoValue(r.cert)}`, `sslkey=${conninfoValue(r.key)}`);
  if (r.cluster) parts.push(`options=${conninfoValue(`--cluster=${r.cluster}`)}`);
  return parts.join(' ');
}

const LIBPQ_SEMANTICS =
  'libpq: verify-full checks that the server certificate chains to sslrootcert AND covers the host name; verify-ca skips the host name; require encrypts without verifying (unless a root certificate file exists, then it acts as verify-ca); prefer/allow may fall back to plaintext.';

const KEY_MODE_NOTE = 'libpq refuses a key readable by group or others: chmod 600 the key (0640 is accepted when root owns it).';

function cloudNotes(r: Resolved): string[] {
  if (r.deployment !== 'cloud') return [];
  const notes = [
    'CockroachDB Cloud Basic/Standard routes on the SNI host name; an IP address or a client without SNI needs the cluster id in options=--cluster=<routing-id> (or database=<routing-id>.<db>).',
    'Basic/Standard server certificates are publicly trusted (Let\'s Encrypt); Advanced clusters use their own CA: download it with curl from https://cockroachlabs.cloud/clusters/<cluster-id>/cert.',
  ];
  if (r.cert) notes.push('Client-certificate authentication on Cloud is for Advanced clusters only, after the Client CA is set (ccloud cluster networking client-ca-cert set, or set_client_ca).');
  if (!r.cluster && isIpLiteral(r.host)) notes.push(`The host ${r.host} is an IP address: no SNI is sent, so pass --cluster <routing-id>.`);
  return notes;
}

function caPrerequisites(r: Resolved, input: SettingsInput): Prerequisite[] {
  if (input.ca !== undefined) return [];
  if (r.deployment === 'cloud') {
    return [{ why: `No CA was given: fetch the cluster CA to ${r.ca} (needed for Advanced clusters; Basic/Standard certificates are publicly trusted)`, command: `curl --create-dirs -o ${shq(r.ca)} https://cockroachlabs.cloud/clusters/"\${CLUSTER_ID:?the CockroachDB Cloud cluster id}"/cert` }];
  }
  return [{ why: `No CA was given: ${r.ca} stands for the ca.crt of the cluster's certs directory — the CA that signed the node certificates`, command: `crdb-tls cert list --certs-dir ${shq(path.dirname(r.ca))}` }];
}

type Built = Pick<ConnectionSettings, 'settings' | 'prerequisites' | 'sslmode_semantics' | 'notes'> & { key?: string | null; keyFormat?: string | null };

function buildLibpqFamily(r: Resolved): Built {
  const url = libpqUrl(r);
  const notes = [...(r.key ? [KEY_MODE_NOTE] : []), 'libpq ≥ 14 sends SNI (sslsni=1 by default); older libpq does not.'];
  switch (r.client) {
    case 'psql': {
      const env = [`PGSSLMODE=verify-full`, `PGSSLROOTCERT=${shellQuote(r.ca)}`, ...(r.cert && r.key ? [`PGSSLCERT=${shellQuote(r.cert)}`, `PGSSLKEY=${shellQuote(r.key)}`] : [])];
      return {
        settings: [
          { label: 'psql with a connection URI', language: 'shell', text: `psql ${shellQuote(url)}` },
          { label: 'psql with libpq environment variables', language: 'shell', text: `${env.join(' ')} \\\n  psql -h ${r.host} -p ${r.port} -U ${r.user} -d ${r.database}` },
        ],
        prerequisites: [],
        sslmode_semantics: LIBPQ_SEMANTICS,
        notes,
      };
    }
    case 'psycopg':
      return {
        settings: [
          { label: 'psycopg (3) — psycopg2.connect() takes the same string', language: 'python', text: `import psycopg\n\nconn = psycopg.connect(${literal(conninfo(r))})` },
          { label: 'connection URI', language: 'url', text: url },
        ],
        prerequisites: [],
        sslmode_semantics: `psycopg passes these to libpq. ${LIBPQ_SEMANTICS}`,
        notes,
      };
    case 'sqlalchemy': {
      const engineUrl = libpqUrl(r, 'cockroachdb');
      return {
        settings: [
          { label: 'SQLAlchemy with sqlalchemy-cockroachdb over psycopg2 (libpq reads the ssl* query parameters)', language: 'python', text: `from sqlalchemy import create_engine\n\nengine = create_engine(${literal(engineUrl)})` },
          {
            label: 'with asyncpg underneath: pass an SSLContext instead (asyncpg does not read libpq files)',
            language: 'python',
            text: [
              'import ssl',
              'from sqlalchemy.ext.asyncio import create_async_engine',
              '',
              `ctx = ssl.create_default_context(cafile=${literal(r.ca)})  # checks chain and host name (verify-full)`,
              ...(r.cert && r.key ? [`ctx.load_cert_chain(${literal(r.cert)}, ${literal(r.key)})`] : []),
              `engine = create_async_engine(${literal(`cockroachdb+asyncpg://${r.user}@${hostForUrl(r.host)}:${r.port}/${r.cluster ? `${r.cluster}.` : ''}${r.database}`)}, connect_args={"ssl": ctx})`,
            ].join('\n'),
          },
        ],
        prerequisites: [],
        sslmode_semantics: `With psycopg2 the URL's sslmode is libpq's. ${LIBPQ_SEMANTICS}`,
        notes,
      };
    }
    case 'cockroach-sql': {
      const settings: Snippet[] = [{ label: 'cockroach sql with a connection URL', language: 'shell', text: `cockroach sql --url ${shellQuote(url)}` }];
      const dir = path.dirname(r.ca);
      if (r.cert && r.key && path.dirname(r.cert) === dir && path.dirname(r.key) === dir && path.basename(r.ca) === 'ca.crt' && path.basename(r.cert) === `client.${r.user}.crt` && path.basename(r.key) === `client.${r.user}.key`) {
        settings.push({ label: 'cockroach sql with a certs directory (ca.crt, client.USER.crt/.key)', language: 'shell', text: `cockroach sql --certs-dir=${dir} --host=${hostForUrl(r.host)}:${r.port} --user=${r.user}` });
      }
      return { settings, prerequisites: [], sslmode_semantics: `cockroach sql uses pgx, which follows libpq's sslmode meanings. ${LIBPQ_SEMANTICS}`, notes: ['cockroach sql ≥ v21.2.5 falls back to the system roots when no CA is given.'] };
    }
    default:
      return {
        settings: [
          { label: 'connection URI', language: 'url', text: url },
          { label: 'keyword/value conninfo', language: 'conninfo', text: conninfo(r) },
        ],
        prerequisites: [],
        sslmode_semantics: LIBPQ_SEMANTICS,
        notes,
      };
  }
}

function buildGo(r: Resolved): Built {
  const url = libpqUrl(r);
  if (r.client === 'go-libpq') {
    return {
      settings: [{ label: 'database/sql with lib/pq', language: 'go', text: `import (\n\t"database/sql"\n\n\t_ "github.com/lib/pq"\n)\n\ndb, err := sql.Open("postgres", ${literal(url)})` }],
      prerequisites: [],
      // lib/pq ssl.go: require/prefer skip verification unless sslrootcert exists (then verify-ca); verify-full sets ServerName.
      sslmode_semantics: "lib/pq follows libpq's meanings (lib/pq ssl.go): verify-full checks chain and host name; require verifies nothing unless sslrootcert exists (then verify-ca); its documented default when sslmode is absent is require.",
      notes: ['lib/pq checks the key file mode like libpq ("pq: Private key file has group or world access"): chmod 600 it.'],
    };
  }
  return {
    settings: [{ label: 'pgx (v5)', language: 'go', text: `import "github.com/jackc/pgx/v5"\n\nconn, err := pgx.Connect(ctx, ${literal(url)})` }],
    prerequisites: [],
    // jackc/pgx pgconn/config.go configTLS: default prefer; require + sslrootcert → verify-ca; verify-full sets ServerName; sslsni=1 sets SNI for non-IP hosts.
    sslmode_semantics: 'pgx follows libpq (jackc/pgx pgconn/config.go configTLS): default prefer; require without sslrootcert skips verification, with sslrootcert it checks the chain like verify-ca; verify-full checks chain and host name. Keys must be PEM (encrypted ones only as PKCS#1 with sslpassword).',
    notes: ['pgx sends SNI for host names (sslsni=1 by default), not for IP addresses.'],
  };
}

function buildNode(r: Resolved): Built {
  const read = (file: string) => `fs.readFileSync(${literal(file)}, 'utf8')`;
  const sslLines = [`    ca: ${read(r.ca)},`, ...(r.cert && r.key ? [`    cert: ${read(r.cert)},`, `    key: ${read(r.key)},`] : []), '    // rejectUnauthorized defaults to true: chain AND host name are checked (verify-full)'];
  const common = [`  host: ${literal(r.host)},`, `  port: ${r.port},`];
  const password = r.cert ? [] : ['  password: process.env.PGPASSWORD,'];
  const trap =
    'Do NOT also pass a connectionString / url containing sslmode, sslrootcert, sslcert, sslkey or ssl=true: pg-connection-string then builds its own ssl value and it REPLACES this ssl object (brianc/node-postgres packages/pg-connection-string/index.js, pg/lib/connection-parameters.js; node-postgres.com/features/ssl; typeorm/typeorm#9761).';
  const semantics =
    "node-postgres has no verify-full keyword in code: an ssl object with ca (and rejectUnauthorized left true) IS verify-full. In a connection string pg 8.x treats prefer/require/verify-ca as verify-full (with a SECURITY WARNING) unless uselibpqcompat=true; sslmode=no-verify disables verification; with no ssl setting at all it does not use TLS.";
  const notes = [trap, 'Build a fresh ssl object per client: pg makes ssl.key non-enumerable on the object you pass, so spreading it into another config silently drops the key.'];
  if (r.deployment === 'cloud') notes.push("pg sets SNI (servername) from the host name automatically (not for IP addresses). For Basic/Standard the CA can be left out: Node's bundled roots trust it.");
  if (r.client === 'typeorm') {
    return {
      settings: [
        {
          label: 'TypeORM DataSource (CockroachDB driver, over pg)',
          language: 'ts',
          text: [
            "import fs from 'node:fs';",
            "import { DataSource } from 'typeorm';",
            '',
            'export const dataSource = new DataSource({',
            "  type: 'cockroachdb',",
            ...common,
            `  username: ${literal(r.user)},`,
            ...password,
            `  database: ${literal(r.database)},`,
            '  ssl: {',
            ...sslLines,
            '  },',
            ...(r.cluster ? [`  extra: { options: ${literal(`--cluster=${r.cluster}`)} },`] : []),
            '  // no `url` here: a url with ssl* parameters would replace the ssl object above',
            '});',
          ].join('\n'),
        },
      ],
      prerequisites: [],
      sslmode_semantics: `TypeORM hands ssl (and extra) to node-postgres. ${semantics}`,
      notes,
    };
  }
  return {
    settings: [
      {
        label: 'node-postgres Client (or Pool) config',
        language: 'js',
        text: [
          "import fs from 'node:fs';",
          "import pg from 'pg';",
          '',
          'const client = new pg.Client({',
          ...common,
          `  user: ${literal(r.user)},`,
          ...password,
          `  database: ${literal(r.database)},`,
          ...(r.cluster ? [`  options: ${literal(`--cluster=${r.cluster}`)},`] : []),
          '  ssl: {',
          ...sslLines,
          '  },',
          '});',
          'await client.connect();',
        ].join('\n'),
      },
      { label: 'or a connection string alone (pg reads the files itself; pass NO ssl object with it)', language: 'url', text: libpqUrl(r) },
    ],
    prerequisites: [],
    sslmode_semantics: semantics,
    notes,
  };
}

/**
 * Prisma 7 has two TLS stacks: the client runs queries through a driver adapter (node-postgres,
 * PEM files, verify-full by default), while prisma migrate still uses the Rust schema engine with
 * the URL above (sslmode=disable|prefer|require, sslaccept, sslcert = CA, sslidentity = PKCS#12).
 */
function prisma7Adapter(r: Resolved): string {
  const ssl = [`ca: fs.readFileSync(${literal(r.ca)}, 'utf8')`, ...(r.cert && r.key ? [`cert: fs.readFileSync(${literal(r.cert)}, 'utf8')`, `key: fs.readFileSync(${literal(r.key)}, 'utf8')`] : [])];
  const servername = isIpLiteral(r.host) ? '' : `, servername: ${literal(r.host)}`;
  return [
    "import fs from 'node:fs';",
    "import { PrismaPg } from '@prisma/adapter-pg';",
    "import { PrismaClient } from './generated/prisma/client';",
    '',
    '// No ssl* parameters in this URL: node-postgres would replace the ssl object with them.',
    `const adapter = new PrismaPg({ connectionString: ${literal(`postgresql://${r.user}@${hostForUrl(r.host)}:${r.port}/${r.database}${r.cluster ? `?options=--cluster%3D${q(r.cluster)}` : ''}`)}, ssl: { ${ssl.join(', ')}${servername} } });`,
    'export const prisma = new PrismaClient({ adapter });',
  ].join('\n');
}

function buildPrisma(r: Resolved): Built {
  const identity = r.cert ? pkcs12PathFor(r.cert) : null;
  const params = ['sslmode=require', 'sslaccept=strict', `sslcert=${q(r.ca)}`];
  if (identity) params.push(`sslidentity=${q(identity)}`, 'sslpassword=<p12-password>');
  if (r.cluster) params.push(`options=--cluster%3D${q(r.cluster)}`);
  const url = `postgresql://${r.user}@${hostForUrl(r.host)}:${r.port}/${r.database}?${params.join('&')}`;
  const prerequisites: Prerequisite[] = identity && r.key
    ? [{ why: `Prisma reads the client certificate and key as one PKCS#12 file (sslidentity); make ${identity} from them (it asks for the password that goes in sslpassword)`, command: `openssl pkcs12 -export -in ${shq(r.cert!)} -inkey ${shq(r.key)} -out ${shq(identity)}` }]
    : [];
  return {
    settings: [
      { label: '.env', language: 'env', text: `DATABASE_URL=${literal(url)}` },
      { label: 'schema.prisma', language: 'prisma', text: 'datasource db {\n  provider = "cockroachdb"\n  url      = env("DATABASE_URL")\n}' },
      { label: 'Prisma 7 client: queries go through node-postgres (@prisma/adapter-pg), which reads PEM files and ignores sslaccept/sslidentity', language: 'ts', text: prisma7Adapter(r) },
    ],
    prerequisites,
    // prisma/docs content/200-orm/050-overview/500-databases/300-postgresql.mdx (arguments table, "Configuring an SSL connection").
    sslmode_semantics:
      "Prisma's engine knows sslmode=prefer|disable|require only; the server is verified only with sslaccept=strict (its default, accept_invalid_certs, skips the check), so require + sslaccept=strict is Prisma's verify-full. sslcert is the CA that signed the SERVER certificate (not the client certificate); sslidentity is the client PKCS#12.",
    notes: [
      ...(identity ? [] : ['Password login: Prisma takes the password only from the URL — insert it percent-encoded after the user (postgresql://USER:PASSWORD@...), from your secret store.']),
      'Certificate paths are resolved relative to the prisma/ folder (the one holding schema.prisma).',
      'Prisma 7 has two stacks: the client queries through the driver adapter (node-postgres: the ts snippet, PEM files, full verification), while prisma migrate / db push still connect with the Rust engine and the DATABASE_URL above (only sslmode=disable|prefer|require, sslaccept, sslcert = the CA, sslidentity = PKCS#12). A URL with sslrootcert/sslkey works for one and fails for the other: migrate then sends no client certificate and reports P1010 "User was denied access".',
      'Prisma historically ignored sslrootcert / verify-full for Postgres (prisma/prisma#10833): do not rely on libpq names here.',
    ],
    key: identity,
    keyFormat: identity ? 'PKCS#12' : null,
  };
}

function buildJava(r: Resolved): Built {
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

function buildNpgsql(r: Resolved): Built {
  const parts = [`Host=${r.host}`, `Port=${r.port}`, `Database=${r.database}`, `Username=${r.user}`, 'SSL Mode=VerifyFull', `Root Certificate=${r.ca}`];
  if (r.cert && r.key) parts.push(`SSL Certificate=${r.cert}`, `SSL Key=${r.key}`);
  if (r.cluster) parts.push(`Options=--cluster=${r.cluster}`);
  const cs = parts.map((p) => (p.includes(';') ? p.replace('=', '="') + '"' : p)).join(';');
  return {
    settings: [
      { label: 'Npgsql connection string', language: 'text', text: cs },
      { label: 'C#', language: 'csharp', text: `await using var conn = new NpgsqlConnection(${literal(cs)});\nawait conn.OpenAsync();` },
    ],
    prerequisites: [],
    // npgsql/doc conceptual/Npgsql/security.md (versions 6.0+).
    sslmode_semantics:
      'Npgsql ≥ 6 uses libpq-like names: VerifyFull checks chain (Root Certificate or the OS store) and host name; VerifyCA skips the host name; Require does not verify and needs Trust Server Certificate=true; the default is Prefer. PEM certificates and keys work from 6.0 (before: .pfx only).',
    notes: r.cert ? [] : ['Npgsql reads the password from Password= or PGPASSWORD.'],
  };
}

function buildAsyncpg(r: Resolved): Built {
  const database = r.cluster ? `${r.cluster}.${r.database}` : r.database;
  return {
    settings: [
      {
        label: 'asyncpg with an SSLContext',
        language: 'python',
        text: [
          'import ssl',
          'import asyncpg',
          '',
          `ctx = ssl.create_default_context(cafile=${literal(r.ca)})  # checks chain and host name: verify-full`,
          ...(r.cert && r.key ? [`ctx.load_cert_chain(${literal(r.cert)}, ${literal(r.key)})`] : []),
          `conn = await asyncpg.connect(host=${literal(r.host)}, port=${r.port}, user=${literal(r.user)}, database=${literal(database)}, ssl=ctx)`,
        ].join('\n'),
      },
    ],
    prerequisites: [],
    sslmode_semantics: "With an ssl.SSLContext asyncpg does exactly what the context says: create_default_context(cafile=...) verifies the chain and the host name (verify-full). Python's ssl never falls back to plaintext.",
    notes: r.cluster ? ['asyncpg sends SNI (server_hostname) for host names; the routing id is also put in the database name (<routing-id>.<db>).'] : [],
  };
}

/** The correct settings for one client. Throws invalid_input for contradictory input. */
export function buildConnectionSettings(input: SettingsInput): ConnectionSettings {
  const r = resolve(input);
  const family = r.client;
  let built: Built;
  if (family === 'psql' || family === 'libpq' || family === 'psycopg' || family === 'sqlalchemy' || family === 'cockroach-sql') built = buildLibpqFamily(r);
  else if (family === 'go-pgx' || family === 'go-libpq') built = buildGo(r);
  else if (family === 'node-pg' || family === 'typeorm') built = buildNode(r);
  else if (family === 'prisma') built = buildPrisma(r);
  else if (family === 'jdbc' || family === 'dbeaver') built = buildJava(r);
  else if (family === 'npgsql') built = buildNpgsql(r);
  else built = buildAsyncpg(r);

  const notes = [...built.notes, ...cloudNotes(r)];
  if (input.user === undefined && !(input.cert && userFromCertName(input.cert))) {
    notes.push(r.deployment === 'cloud' ? 'No user given: replace {username} with your SQL user.' : 'No user given: root assumed.');
  }
  if (input.ca === undefined) notes.push(`No CA given: ${r.ca} is a placeholder for the cluster CA certificate.`);
  return {
    client: r.client,
    client_name: CLIENT_NAMES[r.client],
    deployment: r.deployment,
    auth: r.cert ? 'client-certificate' : 'password',
    sslmode: 'verify-full',
    host: r.host,
    port: r.port,
    user: r.user,
    database: r.database,
    cluster_routing_id: r.cluster,
    files: {
      ca: r.ca,
      cert: r.cert,
      key: built.key !== undefined ? built.key : r.key,
      key_format: built.keyFormat !== undefined ? built.keyFormat : r.key ? 'PEM (PKCS#1 or PKCS#8)' : null,
    },
    settings: built.settings,
    prerequisites: [...caPrerequisites(r, input), ...built.prerequisites],
    sslmode_semantics: built.sslmode_semantics,
    notes,
  };
}

