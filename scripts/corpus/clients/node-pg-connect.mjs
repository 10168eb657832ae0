// Connects with node-postgres using the connection string in argv[2]; on failure prints the error
// the way `console.error(err)` shows it in an application log. Used by scripts/corpus/generate.ts;
// `pg` is the repository's own dependency.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../package.json', import.meta.url));
const pg = require('pg');

try {
  const client = new pg.Client({ connectionString: process.argv[2], connectionTimeoutMillis: 10_000 });
  await client.connect();
  const { rows } = await client.query('SELECT version()');
  console.log(rows[0].version);
  await client.end();
} catch (err) {
  console.error(err);
  // An application would stop here; pg may still hold a socket open, so exit explicitly.
  process.exit(1);
}
