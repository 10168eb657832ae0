/**
 * Signed Slack requests are answered once, and only when they are of now (issue 13). Slack signs
 * "v0:<X-Slack-Request-Timestamp>:<body>" and asks the app to refuse a timestamp more than five
 * minutes from its clock ("Verifying requests from Slack", docs.slack.dev). Bolt's verifier
 * (receivers/verify-request.js) refuses only the past: a request dated in the future stays valid
 * for as long as its date is ahead, and inside the window a captured request can be posted again.
 * So: a timestamp more than five minutes ahead is answered 401 like a stale one, before Bolt
 * reads the body; and after Bolt verified the signature, the signature is claimed once in the
 * store (shared by every replica when CRDB_TLS_DATABASE_URL is set) and a second delivery of the
 * same signed request is acknowledged and dropped.
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../core/log.js';
import type { Store } from '../store/types.js';

/** Slack's window for a request's timestamp, both ways. */
const SLACK_TIMESTAMP_WINDOW_SECONDS = 300;
/** A claim outlives the window on both sides, so a replay is caught until Bolt's own check would refuse it. */
const REQUEST_CLAIM_TTL_MS = 2 * SLACK_TIMESTAMP_WINDOW_SECONDS * 1000 + 60_000;
/** The context property the receiver adds (customPropertiesExtractor) and the middleware reads. */
const REQUEST_SIGNATURE_PROPERTY = 'crdbTlsRequestSignature';

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Why a request's timestamp is too far in the future, or undefined (a stale or malformed one is Bolt's to refuse). */
function futureTimestampProblem(timestamp: string | undefined, nowMs: number): string | undefined {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return undefined;
  const ahead = Number(timestamp) - Math.floor(nowMs / 1000);
  return ahead > SLACK_TIMESTAMP_WINDOW_SECONDS ? `x-slack-request-timestamp is ${ahead} s in the future (more than ${SLACK_TIMESTAMP_WINDOW_SECONDS} s)` : undefined;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Wraps the HTTP receiver's listener: a future-dated request is answered 401 and never reaches Bolt. */
export function refuseFutureRequests(listener: Listener, log: Logger, now: () => number = Date.now): Listener {
  return (req, res) => {
    const problem = futureTimestampProblem(header(req, 'x-slack-request-timestamp'), now());
    if (!problem) return listener(req, res);
    log.warn({ problem }, 'refused a Slack request dated in the future');
    req.resume();
    res.writeHead(401).end();
  };
}

/** What the receiver keeps of a request for the middleware: its signature (unique per timestamp and body). */
export function requestProperties(req: IncomingMessage): Record<string, string> {
  const signature = header(req, 'x-slack-signature');
  return signature ? { [REQUEST_SIGNATURE_PROPERTY]: signature } : {};
}

interface MiddlewareArgs {
  context: Record<string, unknown>;
  ack?: (response?: unknown) => Promise<void>;
  next: () => Promise<void>;
}

/**
 * Global Bolt middleware: runs a signed request's handlers only when this is the first time its
 * signature is seen. A replay is acknowledged (Slack needs an answer, the attacker learns nothing)
 * and does nothing else. Socket Mode requests carry no signature and pass (they come over the
 * app's own authenticated WebSocket).
 */
export function onceBySignature(store: Store, log: Logger) {
  return async ({ context, ack, next }: MiddlewareArgs): Promise<void> => {
    const signature = context[REQUEST_SIGNATURE_PROPERTY];
    if (typeof signature !== 'string') return next();
    const key = `slack-request:${crypto.createHash('sha256').update(signature).digest('hex')}`;
    if (await store.claimOnce(key, REQUEST_CLAIM_TTL_MS)) return next();
    log.warn('dropped a replayed Slack request (its signature was seen before)');
    await ack?.().catch(() => undefined);
  };
}
