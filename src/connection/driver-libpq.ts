/** The settings of the libpq family (psql, libpq, psycopg, SQLAlchemy, cockroach sql), Go, Npgsql and asyncpg. */
import path from 'node:path';
import { Snippet, type Resolved } from './driver-inputs.js';
import { hostForUrl, literal, shellQuote, libpqUrl, conninfo, LIBPQ_SEMANTICS, KEY_MODE_NOTE, type Built } from './driver-syntax.js';

export function buildLibpqFamily(r: Resolved): Built {
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

export function buildGo(r: Resolved): Built {
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

export function buildNpgsql(r: Resolved): Built {
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

export function buildAsyncpg(r: Resolved): Built {
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
