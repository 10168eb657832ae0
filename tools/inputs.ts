import * as z from 'zod';
import { certsDirOf } from '../src/core/config.js';
import { ToolError } from '../src/core/errors.js';
import type { ToolContext } from '../src/core/tool.js';
import { parseDuration } from '../src/pki/duration.js';

/** Input fields several certificate tools share, named like `cockroach cert` flags. */
export const certsDirField = z.string().min(1).optional().describe('Certs directory (default: COCKROACH_CERTS_DIR, else ~/.cockroach-certs)');
export const caKeyField = z.string().min(1).optional().describe('Path of the CA private key (default: COCKROACH_CA_KEY); kept outside the certs dir');
export const keySizeField = z.number().int().min(2048).max(8192).default(2048).describe('RSA key size in bits');
export const overwriteField = z.boolean().default(false).describe('Replace existing files (otherwise refused)');
export const lifetimeField = (defaultLifetime: string) =>
  z.string().default(defaultLifetime).describe(`Validity as a Go duration, e.g. ${defaultLifetime}`);

/** Go's 10*366*24h and 5*366*24h (reference §1.1). */
export const CA_LIFETIME = '87840h';
export const LEAF_LIFETIME = '43920h';

export function resolveCertsDir(certsDir: string | undefined, ctx: ToolContext): string {
  return ctx.paths.resolve(certsDir ?? certsDirOf(ctx.config), 'certs dir');
}

export function resolveCaKey(caKey: string | undefined, ctx: ToolContext): string {
  const chosen = caKey ?? ctx.config.defaultCaKey;
  if (!chosen) throw new ToolError('invalid_input', 'the CA key path is required', 'Pass --ca-key (ca_key) or set COCKROACH_CA_KEY.');
  return ctx.paths.resolve(chosen, 'CA key');
}

export const lifetimeMs = (lifetime: string) => parseDuration(lifetime, 'lifetime');
