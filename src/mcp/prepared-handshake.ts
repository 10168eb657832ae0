import type { PreparedHandshake } from './handshake.js';

/**
 * The stdio handshake the build prepared (scripts/build.mjs runs handshake-capture.ts and puts its
 * result here in the bundle). Run from the sources there is none, and the SDK answers everything.
 */
export const PREPARED_HANDSHAKE: PreparedHandshake | undefined = undefined;
