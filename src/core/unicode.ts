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

/**
 * Terminal escape sequences in their 7-bit (ESC ...) and 8-bit (C1) forms: CSI (colours, cursor
 * moves, screen clears), OSC (window titles, hyperlinks, clipboard writes: ESC ] 52), the string
 * controls DCS, SOS, PM and APC, and two-character escapes (ECMA-48 §5.3-§5.6). A sequence is
 * removed whole, so that no half of it is left to combine with what follows.
 */
const ESCAPE_SEQUENCE = new RegExp([
  '\\x1b\\[[0-?]*[ -/]*[@-~]', // CSI
  '\\x9b[0-?]*[ -/]*[@-~]', // 8-bit CSI
  '\\x1b\\][^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)?', // OSC ... BEL or ST
  '\\x9d[^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)?', // 8-bit OSC
  '\\x1b[PX^_][^\\x1b\\x9c]*(?:\\x1b\\\\|\\x9c)?', // DCS, SOS, PM, APC ... ST
  '[\\x90\\x98\\x9e\\x9f][^\\x1b\\x9c]*(?:\\x1b\\\\|\\x9c)?', // their 8-bit forms
  '\\x1b[ -/]*[0-~]', // two-character escapes (ESC c resets the terminal)
].join('|'), 'g');

/** C0 controls but tab and line feed, DEL, and C1 controls. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * Bidirectional formatting (Trojan Source, CVE-2021-42574): overrides, embeddings, isolates and
 * marks reorder what a terminal shows, so `alice` can be displayed for text that says otherwise.
 * Line and paragraph separators break lines where a terminal or a viewer may not show it.
 */
const INVISIBLE_LAYOUT = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/**
 * Text that came from outside (an MCP client's name, a certificate's subject, a server's error,
 * pasted text), fit to print to a terminal: escape sequences removed, every other control
 * character and bidi format character shown as U+FFFD so that something visibly was there.
 * Tabs and line feeds stay (summaries have lines); CRLF becomes LF.
 */
export function printable(text: string): string {
  return wellFormed(text).replace(/\r\n/g, '\n').replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '\uFFFD').replace(INVISIBLE_LAYOUT, '\uFFFD');
}

/**
 * The same, for a value shown inside one line (an audit entry's requester): a line feed or tab in
 * it would forge the next line of the listing, so they are shown as ␤ and a space.
 */
export function oneLine(text: string): string {
  return printable(text).replace(/\n/g, '\u2424').replace(/\t/g, ' ');
}

/**
 * JSON for a terminal: JSON.stringify escapes C0 controls but leaves DEL, C1 and bidi characters
 * as they are; here they are written as \u escapes too, which any JSON parser reads back the same.
 */
export function terminalSafeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
