/**
 * The diagnosis domain, as other parts of crdb-tls use it:
 * - diagnose(input)                      pasted error text → Diagnosis (code, causes, fix steps, ...)
 * - fixStepsFor(code, client, context)   the same numbered fix steps for a fault found another way
 *                                        (probe_server, test_connection)
 * - guidanceFor(code, client, context)   explanation + causes + fix steps + next tools for a code
 * - buildConnectionSettings(input)       correct verify-full settings for one client
 * - analyzeConnectionString(raw, client) parse (redacted) + what the settings mean for that client
 */
export { diagnose } from './engine.js';
export { fixStepsFor, type FixContext } from './fixes/index.js';
export { ClientId, ConnectionSettings, Deployment, SettingsClient } from '../connection/schemas.js';
export { buildConnectionSettings } from '../connection/driver-settings.js';
export { analyzeConnectionString, parseConnectionString } from '../connection/pasted-settings.js';
export { Cause, Diagnosis, DiagnoseInput, DiagnosisCode, FixStep } from './schema.js';
export { renderDiagnosis, renderConnectionSettings } from './text.js';
