/** The clients diagnose_error and connection_string know (issue text), plus .NET Npgsql. */
export const CLIENT_IDS = [
  'psql',
  'libpq',
  'node-pg',
  'typeorm',
  'prisma',
  'go-pgx',
  'go-libpq',
  'cockroach-sql',
  'psycopg',
  'asyncpg',
  'sqlalchemy',
  'jdbc',
  'dbeaver',
  'npgsql',
  'kafka-changefeed',
] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

/** Clients that share how TLS is configured and what they print (one fix-step family each). */
export type ClientFamily = 'libpq' | 'node' | 'prisma' | 'go' | 'python-ssl' | 'java' | 'dotnet' | 'changefeed';

export const CLIENT_FAMILY: Record<ClientId, ClientFamily> = {
  psql: 'libpq',
  libpq: 'libpq',
  psycopg: 'libpq',
  // sqlalchemy-cockroachdb runs over psycopg2 by default: libpq reads the URL's ssl* parameters.
  sqlalchemy: 'libpq',
  'node-pg': 'node',
  typeorm: 'node',
  prisma: 'prisma',
  'go-pgx': 'go',
  'go-libpq': 'go',
  'cockroach-sql': 'go',
  asyncpg: 'python-ssl',
  jdbc: 'java',
  dbeaver: 'java',
  npgsql: 'dotnet',
  'kafka-changefeed': 'changefeed',
};

/** The client to show a family's snippet for when only the family is known. */
export const FAMILY_REPRESENTATIVE: Record<ClientFamily, ClientId> = {
  libpq: 'libpq',
  node: 'node-pg',
  prisma: 'prisma',
  go: 'go-pgx',
  'python-ssl': 'asyncpg',
  java: 'jdbc',
  dotnet: 'npgsql',
  changefeed: 'kafka-changefeed',
};

export const CLIENT_NAMES: Record<ClientId, string> = {
  psql: 'psql',
  libpq: 'libpq',
  'node-pg': 'node-postgres (pg)',
  typeorm: 'TypeORM',
  prisma: 'Prisma',
  'go-pgx': 'Go pgx',
  'go-libpq': 'Go lib/pq',
  'cockroach-sql': 'cockroach sql',
  psycopg: 'psycopg',
  asyncpg: 'asyncpg',
  sqlalchemy: 'SQLAlchemy',
  jdbc: 'pgJDBC',
  dbeaver: 'DBeaver',
  npgsql: 'Npgsql',
  'kafka-changefeed': 'changefeed sink',
};

/** Where the cluster runs: CockroachDB Cloud, or nodes someone runs (their own CA). */
export const DEPLOYMENTS = ['cloud', 'self-hosted'] as const;
export type Deployment = (typeof DEPLOYMENTS)[number];
