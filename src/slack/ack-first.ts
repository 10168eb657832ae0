/**
 * Acknowledgements before work. Slack's limit of 3 s is on the ack of a request; the answer
 * follows as a message. In a burst of slash commands, the work of the first (a Web API call,
 * a tool run, rendering) would otherwise run between the acks of the later ones: work waits
 * until no request read by the HTTP receiver is still waiting for its ack, and the waiting jobs
 * start one per turn of the event loop, so that a request arriving meanwhile is read and acked
 * after at most one job's first step rather than after all of them. A job never waits longer
 * than maxWaitMs, so that steady traffic delays answers but never stops them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a job may be held back by requests still waiting for their ack, by default: a third of Slack's 3 s. */
const MAX_WAIT_MS = 1000;

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

interface Waiting {
  resolve: () => void;
  since: number;
}

export class AckFirst {
  /** Requests the HTTP receiver has been handed and not yet answered. */
  private unanswered = 0;
  private readonly waiting: Waiting[] = [];
  private turnScheduled = false;
  private timer: NodeJS.Timeout | undefined;

  private readonly maxWaitMs: number;
  private readonly now: () => number;

  constructor(options: { maxWaitMs?: number; now?: () => number } = {}) {
    this.maxWaitMs = options.maxWaitMs ?? MAX_WAIT_MS;
    this.now = options.now ?? Date.now;
  }

  /** Wraps the HTTP receiver's listener: a request counts from its arrival until its answer is written (or its connection closes). */
  track(listener: Listener): Listener {
    return (req, res) => {
      this.unanswered++;
      let answered = false;
      const done = () => {
        if (answered) return;
        answered = true;
        this.unanswered--;
        this.scheduleTurn();
      };
      res.once('finish', done);
      res.once('close', done);
      listener(req, res);
    };
  }

  /** Resolves when the caller's work may start: after the pending acks, one job per turn of the event loop. */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push({ resolve, since: this.now() });
      this.scheduleTurn();
    });
  }

  private scheduleTurn(): void {
    if (this.turnScheduled || this.waiting.length === 0) return;
    this.turnScheduled = true;
    // setImmediate runs after the event loop's I/O callbacks: requests already on the sockets are read first.
    setImmediate(() => {
      this.turnScheduled = false;
      const next = this.waiting[0];
      if (!next) return;
      const heldFor = this.now() - next.since;
      if (this.unanswered > 0 && heldFor < this.maxWaitMs) {
        // The last answer schedules the next turn; the timer bounds the wait when answers do not come.
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.scheduleTurn();
        }, this.maxWaitMs - heldFor).unref();
        return;
      }
      this.waiting.shift()!.resolve();
      this.scheduleTurn();
    });
  }
}
