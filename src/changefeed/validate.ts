/**
 * Checks a sink's TLS material the way CockroachDB will use it, before anyone runs CREATE
 * CHANGEFEED: encode runs it on what it is about to embed, decode on what a URI holds (the
 * parameters have their own check in validate-params.ts). Every problem says what CockroachDB
 * (or the broker) will do and how to fix it.
 */
import { checkCa } from './validate-cert.js';
import { checkClientPair } from './validate-key.js';
import type { MaterialContext, TlsMaterial, TlsMaterialReport } from './validate-report.js';

/** Every problem of the CA, client certificate and key that CockroachDB (or the broker) would hit. */
export function checkTlsMaterial(material: TlsMaterial, ctx: MaterialContext): TlsMaterialReport {
  const report: TlsMaterialReport = { certificates: [], key: null, problems: [], caCertificates: [], clientCertificates: [] };
  if (material.ca) checkCa(material.ca, ctx, report);
  if (material.cert || material.key) checkClientPair(material, ctx, report);
  return report;
}
