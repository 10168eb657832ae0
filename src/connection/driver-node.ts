/** The settings of node-postgres, TypeORM and Prisma (its driver adapter and its schema engine). */
import { shq } from '../core/shell.js';
import { isIpLiteral } from './pasted-settings.js';
import { Prerequisite, type Resolved, pkcs12PathFor } from './driver-inputs.js';
import { hostForUrl, q, literal, libpqUrl, type Built } from './driver-syntax.js';

export function buildNode(r: Resolved): Built {
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

export function buildPrisma(r: Resolved): Built {
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
