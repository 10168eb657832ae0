import crypto from 'node:crypto';
import { createRequestStateCodec } from '@modelcontextprotocol/server';
import { ToolError } from '../core/errors.js';
import type { ConfirmationState, StateCodec } from './confirm-form.js';

/** The request-state codec refuses a shorter HMAC key (RequestStateCodecOptions.key: at least 32 bytes). */
const MIN_STATE_KEY_BYTES = 32;
/** A confirmation form answered later than this is refused; the pending confirmation itself lives 10 minutes (DESIGN.md §3). */
const STATE_TTL_SECONDS = 600;

/**
 * CRDB_TLS_MCP_STATE_KEY: the secret that seals the state a gated call carries between its
 * rounds. Every replica behind one load balancer needs the same one; a single process (stdio, one
 * stateful HTTP server) may go without, and then draws a random key that dies with it.
 */
export function stateKeyFromEnv(env: NodeJS.ProcessEnv, required: boolean): Buffer {
  const value = env.CRDB_TLS_MCP_STATE_KEY;
  if (value === undefined || value === '') {
    if (required) {
      throw new ToolError('invalid_input', 'CRDB_TLS_MCP_STATE_KEY is not set; stateless MCP over HTTP needs one key shared by every replica', `Set it to the same random secret of at least ${MIN_STATE_KEY_BYTES} bytes on every replica, e.g. CRDB_TLS_MCP_STATE_KEY=$(openssl rand -hex 32).`);
    }
    return crypto.randomBytes(MIN_STATE_KEY_BYTES);
  }
  const key = Buffer.from(value, 'utf8');
  if (key.length < MIN_STATE_KEY_BYTES) {
    throw new ToolError('invalid_input', `CRDB_TLS_MCP_STATE_KEY is ${key.length} bytes long; it must be at least ${MIN_STATE_KEY_BYTES}`, 'Generate one with: openssl rand -hex 32');
  }
  return key;
}

/**
 * Seals with the SDK's codec (HMAC-SHA256, expiry), bound to the method and to the principal the
 * HTTP face authenticated (ctx.http.authInfo.clientId, the token's label): a state minted for one
 * token holder is refused when another echoes it.
 */
export function confirmationStateCodec(key: Buffer): StateCodec {
  const codec = createRequestStateCodec<ConfirmationState>({
    key: new Uint8Array(key),
    ttlSeconds: STATE_TTL_SECONDS,
    bind: (ctx) => `${ctx.mcpReq.method}\0${ctx.http?.authInfo?.clientId ?? ''}`,
  });
  return { mint: (payload, ctx) => codec.mint(payload, ctx), verify: (state, ctx) => codec.verify(state, ctx) };
}
