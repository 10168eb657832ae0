/**
 * The shapes of `crdb-tls config check` (DESIGN.md §6): one check per variable, one plan per
 * face, and what every face's view is built from. Secrets show only as "set (N chars)".
 */
import { PolicyError, type GatePolicy } from '../gate/policy.js';
import type { Config, Face } from './config.js';
import { ToolError } from './errors.js';
import type { ToolDefinition } from './tool.js';

export type CheckStatus = 'ok' | 'default' | 'warning' | 'invalid';

export interface VariableCheck {
  name: string;
  status: CheckStatus;
  /** What to show for the value: the value itself, "set (N chars)" for a secret, or "unset". */
  shown: string;
  message: string;
}

export type FaceName = 'cli' | 'mcp_stdio' | 'mcp_http' | 'slack';

export interface FacePlan {
  face: FaceName;
  /** Whether this face would start with this configuration. */
  would_start: boolean;
  lines: string[];
}

export interface ConfigReport {
  /** False when any variable is invalid. */
  valid: boolean;
  variables: VariableCheck[];
  faces: FacePlan[];
}

export type ToolInfo = Pick<ToolDefinition, 'name' | 'effects'>;

/** Records one variable's check, in the order the report shows them. */
export type AddCheck = (check: VariableCheck) => void;
/** A variable's value, or undefined when it is unset or empty. */
export type SetVariable = (name: string) => string | undefined;

/** What every face's plan is built from, worked out once from the whole environment. */
export interface FaceView {
  gateOk: boolean;
  policy: GatePolicy | undefined;
  threshold: string;
  toolsLine: string;
  store: string;
  cloudLine: string;
  databaseUrl: string | undefined;
  cliConfig: Config;
  mcpConfig: Config;
  reach: (face: Face) => string;
  passwordsTo: (face: Face) => string;
}

export const secret = (value: string) => `set (${value.length} chars)`;
export const describeError = (error: unknown) => (error instanceof ToolError || error instanceof PolicyError ? error.message : String(error));
