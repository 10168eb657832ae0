import type { CloudApiClient } from '../../cloud/api-client.js';
import { getClientCa } from '../../cloud/client-ca.js';
import { certificateItem, errorItem, type InventoryEntry, type SourceResult, type Thresholds } from '../items.js';

/**
 * A Cloud cluster's Client CA (reference §4.2): the CA certificates the cluster trusts for SQL
 * client certificates, as GET /api/v1/clusters/{id}/client-ca-cert answers. Each certificate of
 * the bundle is an item; a cluster without a Client CA has none.
 */
export async function inventoryCloudClientCa(api: CloudApiClient, clusterId: string, now: Date, thresholds: Thresholds): Promise<SourceResult> {
  const location = `cloud cluster ${clusterId}`;
  let view;
  try {
    view = await getClientCa(api, clusterId);
  } catch (error) {
    return { entries: [], report: { source: 'cloud_client_ca', location, items: 0, error: (error as Error).message, notes: [] } };
  }
  const notes = [`Client CA status ${view.status}${view.plan ? ` (plan ${view.plan})` : ''}`];
  if (view.status === 'PENDING') notes.push('a Client CA change is in progress; what is listed may change when it settles');
  if (view.status === 'NOT_SET') notes.push('no Client CA is set: certificate logins are off on this cluster');
  const entries: InventoryEntry[] = view.certificates.map((info, index) => ({
    item: certificateItem({ source: 'cloud_client_ca', location, what: view.certificates.length > 1 ? `Client CA ${index + 1} of ${view.certificates.length}` : 'Client CA', usage: 'Client CA', path: null, position: index }, info, now, thresholds),
  }));
  if (view.parse_error) entries.push({ item: errorItem({ source: 'cloud_client_ca', location, what: 'Client CA', usage: 'Client CA', path: null, position: null }, `the Client CA PEM could not be read: ${view.parse_error}`) });
  return { entries, report: { source: 'cloud_client_ca', location, items: entries.length, error: null, notes } };
}
