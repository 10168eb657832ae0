// pgpass (the ~/.pgpass reader node-postgres uses) ships no types; src/net/pg-target.ts types its one call.
declare module 'pgpass';
