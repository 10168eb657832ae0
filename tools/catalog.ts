import type { ToolDefinition } from '../src/core/tool.js';
import auditLog from './audit_log.js';
import createCa from './create_ca.js';
import createClientCa from './create_client_ca.js';
import createClientCert from './create_client_cert.js';
import createNodeCert from './create_node_cert.js';
import connectionString from './connection_string.js';
import decodeChangefeedUri from './decode_changefeed_uri.js';
import diagnoseError from './diagnose_error.js';
import downloadCa from './download_ca.js';
import encodeChangefeedUri from './encode_changefeed_uri.js';
import getClientCa from './get_client_ca.js';
import inspectCertificate from './inspect_certificate.js';
import listCerts from './list_certs.js';
import probeServer from './probe_server.js';
import removeClientCa from './remove_client_ca.js';
import setClientCa from './set_client_ca.js';
import testConnection from './test_connection.js';
import applyRotationStep from './apply_rotation_step.js';
import checkExpiry from './check_expiry.js';
import getRotationPlan from './get_rotation_plan.js';
import planRotation from './plan_rotation.js';
import pruneRotationBackups from './prune_rotation_backups.js';
import reloadNodeCerts from './reload_node_certs.js';
import rollbackRotationStep from './rollback_rotation_step.js';

/** Every tool, in the order faces list them. */
export const catalog: ToolDefinition[] = [createCa, createClientCa, createNodeCert, createClientCert, listCerts, inspectCertificate, auditLog, encodeChangefeedUri, decodeChangefeedUri, diagnoseError, connectionString, probeServer, testConnection, downloadCa, getClientCa, setClientCa, removeClientCa, checkExpiry, planRotation, getRotationPlan, applyRotationStep, rollbackRotationStep, pruneRotationBackups, reloadNodeCerts] as unknown as ToolDefinition[];

export function findTool(name: string): ToolDefinition | undefined {
  return catalog.find((tool) => tool.name === name);
}
