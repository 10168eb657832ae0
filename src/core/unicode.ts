/** A surrogate half without its partner: not a character, and encodeURIComponent throws URIError on it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The text with every lone surrogate replaced by U+FFFD, as TextEncoder and Buffer do (ES2024's
 * String.prototype.toWellFormed). Input pasted or sent over MCP can hold them; before this, building
 * a URL from such a user name threw and the call failed as an internal error (test/fuzz).
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}
