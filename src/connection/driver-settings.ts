import { CLIENT_NAMES } from './clients.js';
import { type SettingsInput, ConnectionSettings, userFromCertName, resolve } from './driver-inputs.js';
import { cloudNotes, caPrerequisites, type Built } from './driver-syntax.js';
import { buildJava } from './driver-java.js';
import { buildLibpqFamily, buildGo, buildNpgsql, buildAsyncpg } from './driver-libpq.js';
import { buildNode, buildPrisma } from './driver-node.js';

/**
 * The correct TLS connection settings for one client, from file PATHS (nothing is read: the
 * settings name files, they do not contain them). verify-full always, with a note wherever the
 * driver's sslmode means something else than libpq's. Sources per client are cited inline.
 */
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
