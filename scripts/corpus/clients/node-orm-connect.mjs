// Connects with a Node library other than bare node-postgres — postgres.js, Knex, TypeORM or
// Sequelize (the last three over pg) — as an application configures it, and prints the error it
// throws. argv: <library> <postgresql:// URL> <node_modules dir the libraries are installed in>.
// postgres.js and Sequelize take TLS as an ssl object (built here from the URL's ssl* parameters,
// reading the files as an app does); Knex and TypeORM hand the URL to pg, which reads them itself.
// Used by scripts/corpus/generate.ts.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [library, url, modules] = process.argv.slice(2);
const require = createRequire(path.join(modules, 'package.json'));
const u = new URL(url);
const p = u.searchParams;
const sslObject = () => {
  if (p.get('sslmode') === 'disable') return false;
  return {
    rejectUnauthorized: true,
    ...(p.get('sslrootcert') ? { ca: fs.readFileSync(p.get('sslrootcert'), 'utf8') } : {}),
    ...(p.get('sslcert') ? { cert: fs.readFileSync(p.get('sslcert'), 'utf8') } : {}),
    ...(p.get('sslkey') ? { key: fs.readFileSync(p.get('sslkey'), 'utf8') } : {}),
  };
};
const plain = `postgresql://${u.username}@${u.host}${u.pathname}`;

async function main() {
  if (library === 'postgres.js') {
    const postgres = require('postgres');
    const sql = postgres(plain, { ssl: sslObject(), connect_timeout: 10, max: 1 });
    try {
      console.log((await sql`SELECT version()`)[0].version);
    } finally {
      await sql.end({ timeout: 1 });
    }
  } else if (library === 'knex') {
    const db = require('knex')({ client: 'pg', connection: { connectionString: url }, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 10000 });
    try {
      console.log((await db.raw('SELECT version()')).rows[0].version);
    } finally {
      await db.destroy();
    }
  } else if (library === 'typeorm') {
    require('reflect-metadata');
    const { DataSource } = require('typeorm');
    const source = new DataSource({ type: 'postgres', url, connectTimeoutMS: 10000 });
    await source.initialize();
    console.log((await source.query('SELECT version()'))[0].version);
    await source.destroy();
  } else if (library === 'sequelize') {
    const { Sequelize } = require('sequelize');
    const db = new Sequelize(plain, { dialect: 'postgres', logging: false, dialectOptions: { ssl: sslObject(), connectionTimeoutMillis: 10000 } });
    try {
      await db.authenticate();
      console.log((await db.query('SELECT version()', { plain: true })).version);
    } finally {
      await db.close();
    }
  } else {
    throw new Error(`unknown library ${library}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
