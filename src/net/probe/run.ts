import net from 'node:net';
import { ClientId, DiagnosisCode, diagnose, fixStepsFor, type FixContext } from '../../diagnose/index.js';
import { summarize } from './render.js';
import { DEFAULT_PROBE_TIMEOUT_MS, type Finding, type ProbeOptions, type ProbeReport } from './report.js';

/**
 * What every phase of one probe shares: the report being filled, the findings, the one time budget
 * and the sockets to close at the end. Phases write into `report` and return what the next needs.
 */
export interface ProbeRun {
  options: ProbeOptions;
  host: string;
  port: number;
  /** What every connection dials: the address the network policy checked, else host (unrestricted). */
  dialHost: string;
  /** The name checked against the certificate. */
  name: string;
  /** The SNI sent: none for an IP address. */
  servername: string | null;
  signal: AbortSignal | undefined;
  timeoutMs: number;
  report: ProbeReport;
  findings: Finding[];
  /** What the fix steps of later findings are written with (the login user is known after the local checks). */
  fixContext: Partial<FixContext>;
  sockets: net.Socket[];
  /** Milliseconds left of the overall budget. */
  remaining: () => number;
  progress: (message: string, fraction: number) => void;
  /** `signals` tailors the fix steps as a diagnosed text would (e.g. net.refused: nothing is listening). */
  add: (code: DiagnosisCode, severity: Finding['severity'], phaseName: Finding['phase'], message: string, signals?: string[]) => void;
  /** Closes the sockets and fills ok, code, summary and the total time. */
  finalize: () => ProbeReport;
}

export function startRun(options: ProbeOptions): ProbeRun {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const deadline = started + timeoutMs;
  const { host, port, signal } = options;
  const name = options.servername ?? host;
  const servername = net.isIP(name) ? null : name;
  const fixContext: Partial<FixContext> = {
    host,
    port,
    user: options.user ?? null,
    database: options.database ?? null,
    caPath: options.ca?.path ?? null,
    certPath: options.cert?.path ?? null,
    keyPath: options.key?.path ?? null,
  };
  const findings: Finding[] = [];
  const report: ProbeReport = {
    target: { host, port, servername, address: null },
    ok: false,
    code: null,
    summary: '',
    pgwire: { answer: 'unreachable', speaks_pgwire: null, tls_offered: null, detail: null },
    tls: null,
    chain: [],
    chain_source: 'none',
    verification: null,
    hostname: null,
    client_certificate: { sent: false, subject: null, login_user: null, accepted: null, server_answer: 'not_tried', detail: null },
    client_ca_names: null,
    findings,
    timings_ms: { connect: null, ssl_request: null, handshake: null, login: null, client_ca_names: null, total: 0 },
    timeout_ms: timeoutMs,
  };
  const sockets: net.Socket[] = [];
  return {
    options,
    host,
    port,
    dialHost: host,
    name,
    servername,
    signal,
    timeoutMs,
    report,
    findings,
    fixContext,
    sockets,
    remaining: () => Math.max(0, Math.floor(deadline - performance.now())),
    progress: (message, fraction) => options.progress?.(message, fraction),
    add: (code, severity, phaseName, message, signals) => {
      const context = signals ? { ...fixContext, signals: new Set([...(fixContext.signals ?? []), ...signals]) } : fixContext;
      findings.push({ code, severity, phase: phaseName, message, fix_steps: fixStepsFor(code, options.client ?? null, context) });
    },
    finalize: () => {
      for (const s of sockets) s.destroy();
      const firstError = findings.find((f) => f.severity === 'error');
      report.code = firstError?.code ?? null;
      report.ok = !firstError && report.tls !== null && report.verification?.verified === true && report.hostname?.matches === true && report.client_certificate.accepted !== false;
      report.timings_ms.total = elapsed(started);
      report.summary = summarize(report);
      return report;
    },
  };
}

export class Aborted extends Error {}

/** Runs `setup` until it settles, its deadline passes (→ onTimeout()) or the signal aborts (→ throws Aborted). */
export function phase<T>(ms: number, signal: AbortSignal | undefined, onTimeout: () => T, setup: (settle: (value: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let cleanup: () => void = () => {};
    const finish = (action: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      cleanup();
      action();
    };
    const onAbort = () => finish(() => reject(new Aborted('aborted')));
    const timer = setTimeout(() => finish(() => resolve(onTimeout())), Math.max(0, ms));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = setup((value) => finish(() => resolve(value)));
    if (done) cleanup();
  });
}

export const errorText = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException & { reason?: string };
  const message = (e?.message ?? String(error)).trim();
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
};

/** A code for a free-form error text, through the same knowledge base as diagnose_error. */
export function codeForText(text: string, fallback: DiagnosisCode, client?: ClientId): DiagnosisCode {
  const d = diagnose({ error_text: text.slice(0, 65_536), ...(client ? { client } : {}) });
  return d.code === 'unknown' ? fallback : d.code;
}

/** Milliseconds since `t0`, as the report's timings give them. */
export const elapsed = (t0: number): number => Math.round(performance.now() - t0);
