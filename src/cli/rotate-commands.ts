import { Command, InvalidArgumentError, Option } from 'commander';
import type { Runtime } from '../core/runtime.js';
import type { ToolDefinition } from '../core/tool.js';
import type { CheckReport } from '../rotation/check.js';
import { renderFailedCheck, renderPrometheus, writeTextfileAtomically } from '../rotation/prometheus.js';
import { timelineFormatOf, writeTimelineFile, type TimelineSource } from '../rotation/timeline-picture.js';
import { parseDuration } from '../pki/duration.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, invokeTool, signalOfExitCode } from './invoke.js';

/** A tool by name, loaded on first use. */
type Lookup = (name: string) => Promise<ToolDefinition>;
type Options = Record<string, unknown>;

const defined = (record: Options) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
const repeated = (value: string, previous: string[] = []) => [...previous, value];
const stepNumber = (value: string) => {
  if (!/^[1-9]\d{0,3}$/.test(value)) throw new InvalidArgumentError('expected a step number (1, 2, ...).');
  return Number(value);
};
const pid = (value: string) => {
  if (!/^[1-9]\d{0,9}$/.test(value)) throw new InvalidArgumentError('expected a process id.');
  return Number(value);
};
const milliseconds = (value: string) => {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 100) throw new InvalidArgumentError('expected milliseconds (100 or more).');
  return Number(value);
};
/** `--timeout 30s` / `2m` / `30000` (milliseconds) → milliseconds. */
const duration = (value: string) => {
  try {
    return /^\d+$/.test(value) ? Number(value) : Math.round(parseDuration(value, '--timeout'));
  } catch {
    throw new InvalidArgumentError('expected a duration such as 30s, 2m or 30000 (ms).');
  }
};

/** The sources every inventory verb reads (check and plan). */
function withSources(command: Command): Command {
  return command
    .option('--certs-dir <dir>', 'certs directory to read (repeatable): every *.crt, every certificate of every bundle', repeated)
    .option('--file <file>', 'a certificate file outside a certs dir (repeatable)', repeated)
    .option('--host <host:port>', 'a live node to probe (repeatable; port default 26257)', repeated)
    .option('--ca <file>', 'CA to verify the nodes against (default: ca.crt of the first --certs-dir)')
    .option('--sql <url>', 'a node to read crdb_internal.node_metrics from (repeatable, one URL per node; needs admin)', repeated)
    .option('--cloud-cluster <id>', 'a Cloud cluster whose Client CA to include (COCKROACH_API_KEY)')
    .option('--within <duration>', 'the window: what expires within it is due (default 90d)')
    .option('--warn-within <duration>', 'status warn under this much time left (default 90d)')
    .option('--fail-within <duration>', 'status fail under this much time left (default 30d)')
    .option('--timeout <ms>', 'budget per node probe and per SQL node (default 5000)', milliseconds);
}

function sourceInput(options: Options): Options {
  return defined({
    certs_dirs: options.certsDir,
    files: options.file,
    hosts: options.host,
    ca: options.ca,
    sql_urls: options.sql,
    cloud_cluster: options.cloudCluster,
    within: options.within,
    warn_within: options.warnWithin,
    fail_within: options.failWithin,
    timeout_ms: options.timeout,
  });
}

function gated(command: Command): Command {
  return command
    .option('--dry-run', 'only show what would change, and its severity; change nothing')
    .option('--yes', 'confirm a change that needs confirmation without asking (for scripts)')
    .option('--json', 'print the structured result as JSON');
}

const CHECK_HELP = `
Exit codes (for cron, systemd timers, CI): 0 nothing expires within the window; 1 something does;
2 error — a source or a certificate could not be read (never skipped), or bad usage.

--prometheus-textfile F writes crdb_tls_certificate_expiry_seconds{source,path,subject,serial}
(seconds left, per certificate) for node_exporter's textfile collector, atomically (temp file +
rename in the same directory). Name it *.prom inside the collector's directory.

Examples:
  crdb-tls rotate check --certs-dir certs --host node1:26257 --within 30d
  crdb-tls rotate check --certs-dir /var/lib/cockroach/certs --prometheus-textfile /var/lib/node_exporter/textfile/crdb_tls.prom`;

/** A --chart name that cannot be drawn is a usage error before anything runs. */
function checkChartName(options: Options, command: Command): void {
  if (typeof options.chart !== 'string') return;
  try {
    timelineFormatOf(options.chart);
  } catch (error) {
    command.error(`${command.name() === 'plan' ? 'rotate plan' : 'rotate check'}: --chart ${(error as Error).message}`, { exitCode: EXIT_USAGE, code: 'crdb-tls.chart' });
  }
}

async function drawChart(options: Options, rt: Runtime, source: TimelineSource): Promise<void> {
  if (typeof options.chart !== 'string') return;
  const file = rt.paths.resolve(options.chart, 'timeline chart');
  const format = await writeTimelineFile(file, source);
  process.stderr.write(`Timeline (${format.toUpperCase()}) written to ${file}\n`);
}

/** `crdb-tls rotate ...`: expiry checks, rotation plans and their steps, node reloads. */
export function rotateCommands(tool: Lookup, runtime: () => Promise<Runtime>, setExit: (code: number) => void): Command {
  const rotate = new Command('rotate').description('what expires when, a safe rotation plan, its steps one at a time, and node reloads');
  const run = async (name: string, input: Options, options: Options, exitCodeOf?: (o: Options) => number) =>
    setExit(await invokeTool(tool(name), input, await runtime(), { json: Boolean(options.json), yes: Boolean(options.yes), ...(exitCodeOf ? { exitCodeOf } : {}) }));

  rotate.addCommand(withSources(new Command('check'))
    .description('the expiry inventory as a table, with exit codes a scheduler can use')
    .option('--prometheus-textfile <file>', 'also write gauges of seconds left per certificate for node_exporter')
    .option('--chart <file>', 'also draw the expiry timeline: FILE.svg, or FILE.png for places that do not show SVG')
    .option('--json', 'print the structured result as JSON')
    .addHelpText('after', CHECK_HELP)
    .action(async (options: Options, command: Command) => {
      checkChartName(options, command);
      const rt = await runtime();
      let report: CheckReport | undefined;
      const status = await invokeTool(tool('check_expiry'), sourceInput(options), rt, {
        json: Boolean(options.json),
        exitCodeOf: (output) => {
          report = output as unknown as CheckReport;
          return report.exit_code;
        },
      });
      // Stopped by Ctrl-C or SIGTERM: the textfile keeps the last finished check.
      if (signalOfExitCode(status)) return setExit(status);
      if (typeof options.prometheusTextfile === 'string') {
        const file = rt.paths.resolve(options.prometheusTextfile, 'Prometheus textfile');
        // A check that failed outright still replaces the file, so that an alert fires instead of stale gauges.
        await writeTextfileAtomically(file, report ? renderPrometheus(report, new Date()) : renderFailedCheck(new Date()));
      }
      if (report) await drawChart(options, rt, { inventory: report.inventory });
      setExit(report ? report.exit_code : EXIT_USAGE);
    }));

  rotate.addCommand(withSources(new Command('plan'))
    .description('an ordered, resumable rotation plan for what expires within the window, saved with an id')
    .addOption(new Option('--scope <scope>', 'what to rotate').choices(['client', 'node', 'ca', 'client-ca', 'all']))
    .option('--ca-key <file>', 'the CA key, so that crdb-tls can reissue certificates itself (default: $COCKROACH_CA_KEY)')
    .option('--client-ca-key <file>', 'the key of ca-client.crt (or of the Cloud Client CA)')
    .option('--new-ca-key <file>', 'where a CA rotation creates the new CA key (default: beside --ca-key, ca.YYYYMMDD.key)')
    .option('--new-client-ca-key <file>', 'where a client CA rotation creates its new key')
    .option('--node-cert <file>', 'a node certificate outside a certs dir, replaced in place (e.g. a PostgreSQL data dir\'s server.crt); needs --node-key')
    .option('--node-key <file>', 'the key of --node-cert')
    .option('--trust-file <file>', 'another copy of ca.crt a CA rotation updates (repeatable)', repeated)
    .option('--pidfile <file>', 'pid file of the node process on this machine, which serves the first --host: its reloads become `rotate reload` steps')
    .option('--leaf-lifetime <duration>', 'lifetime of reissued certificates (default 43920h, cut to the CA\'s remaining life)')
    .option('--ca-lifetime <duration>', 'lifetime of a new CA (default 87840h)')
    .option('--chart <file>', 'also draw the expiry timeline with the plan\'s steps on it: FILE.svg or FILE.png')
    .option('--json', 'print the plan and the inventory as JSON')
    .addHelpText('after', '\nExamples:\n  crdb-tls rotate plan --certs-dir certs --ca-key my-safe-directory/ca.key --host node1:26257 --within 90d\n  crdb-tls rotate plan --certs-dir certs --client-ca-key safe/ca-client.key --cloud-cluster 5e6b1f0a-... --scope client-ca\n\nThen: crdb-tls rotate show PLAN_ID, crdb-tls rotate apply PLAN_ID --step N, crdb-tls rotate rollback PLAN_ID.')
    .action(async (options: Options, command: Command) => {
      if (Boolean(options.nodeCert) !== Boolean(options.nodeKey)) command.error('rotate plan: --node-cert and --node-key go together', { exitCode: 2, code: 'crdb-tls.nodeFiles' });
      checkChartName(options, command);
      let planned: TimelineSource | undefined;
      const rt = await runtime();
      const status = await invokeTool(tool('plan_rotation'), {
        ...sourceInput(options),
        ...defined({
          scope: options.scope,
          ca_key: options.caKey,
          client_ca_key: options.clientCaKey,
          new_ca_key: options.newCaKey,
          new_client_ca_key: options.newClientCaKey,
          node_files: options.nodeCert ? [{ cert: options.nodeCert, key: options.nodeKey }] : undefined,
          trust_files: options.trustFile,
          pidfile: options.pidfile,
          leaf_lifetime: options.leafLifetime,
          ca_lifetime: options.caLifetime,
        }),
      }, rt, {
        json: Boolean(options.json),
        exitCodeOf: (output) => {
          planned = output as unknown as TimelineSource;
          return EXIT_OK;
        },
      });
      if (planned && !signalOfExitCode(status)) await drawChart(options, rt, planned);
      setExit(status);
    }));

  rotate.addCommand(new Command('show')
    .description('a saved plan as a numbered checklist, with where each step is')
    .argument('<plan-id>', 'the id rotate plan printed (rp_...)')
    .option('--json', 'print the plan as JSON')
    .action((planId: string, options: Options) => run('get_rotation_plan', { plan_id: planId }, options)));

  rotate.addCommand(gated(new Command('apply'))
    .description('carry out one local step of a plan (backups first, atomic replace keeping owner/group/mode), or --mark-done a tool or manual step')
    .argument('<plan-id>', 'the plan id (rp_...)')
    .requiredOption('--step <n>', 'the step number', stepNumber)
    .option('--mark-done', 'record a tool or manual step as done (checked first where possible)')
    .action((planId: string, options: Options) =>
      run('apply_rotation_step', defined({ plan_id: planId, step: options.step, mark_done: options.markDone, dry_run: options.dryRun }), options)));

  rotate.addCommand(gated(new Command('rollback'))
    .description('undo a step from its backups (default: the latest step still in effect)')
    .argument('<plan-id>', 'the plan id (rp_...)')
    .option('--step <n>', 'the step number (default: the latest in effect)', stepNumber)
    .action((planId: string, options: Options) =>
      run('rollback_rotation_step', defined({ plan_id: planId, step: options.step, dry_run: options.dryRun }), options)));

  rotate.addCommand(gated(new Command('prune'))
    .description('remove backups of replaced keys and certificates older than an age from <state dir>/backups')
    .option('--older-than <duration>', 'remove backups taken longer ago than this (default 30d)')
    .option('--plan <plan-id>', 'only the backups of this plan')
    .addHelpText('after', '\nBackups live in $CRDB_TLS_STATE_DIR/backups/<plan id>/ (crdb-tls config check shows where); they hold old private keys.\nRemoving the backups of a step still in effect (it can then not be rolled back) is high severity.\n\nExample:\n  crdb-tls rotate prune --older-than 30d --dry-run')
    .action((options: Options) =>
      run('prune_rotation_backups', defined({ older_than: options.olderThan, plan_id: options.plan, dry_run: options.dryRun }), options)));

  rotate.addCommand(gated(new Command('reload'))
    .description('SIGHUP a node process on this machine, then probe until it serves the new certificate')
    .option('--pid <pid>', 'the node\'s process id', pid)
    .option('--pidfile <file>', 'the node\'s pid file (cockroach --pid-file; PostgreSQL <data dir>/postmaster.pid)')
    .requiredOption('--host <host:port>', 'where the node serves SQL (port default 26257)')
    .option('--ca <file>', 'CA to verify the served chain against')
    .option('--servername <name>', 'SNI and the name checked, when it differs from the host')
    .option('--expect-cert <file>', 'the certificate the node must serve afterwards (default: any other than before)')
    .option('--expect-same', 'only trust files changed: success is the same certificate, still served')
    .option('--timeout <duration>', 'how long to wait (default 30s)', duration)
    .option('--interval <ms>', 'time between probes (default 250)', milliseconds)
    .addHelpText('after', '\nExit codes: 0 the node serves the expected certificate; 1 it kept the old one, did not answer, or the signal was not confirmed; 2 bad usage.\n\nExample:\n  crdb-tls rotate reload --pidfile /var/run/cockroach.pid --host node1:26257 --ca certs/ca.crt --expect-cert certs/node.crt')
    .action(async (options: Options, command: Command) => {
      if ((options.pid === undefined) === (options.pidfile === undefined)) command.error('rotate reload: give exactly one of --pid and --pidfile', { exitCode: 2, code: 'crdb-tls.pid' });
      const { host, port } = splitTarget(String(options.host), command);
      await run('reload_node_certs', defined({
        pid: options.pid,
        pidfile: options.pidfile,
        host,
        port,
        ca: options.ca,
        servername: options.servername,
        expect_cert: options.expectCert,
        expect_same: options.expectSame,
        timeout_ms: options.timeout,
        interval_ms: options.interval,
        dry_run: options.dryRun,
      }), options, (output) => (output.status === 'dry_run' || (output.result as { ok?: boolean } | undefined)?.ok === true ? EXIT_OK : EXIT_FAILED));
    }));

  return rotate;
}

function splitTarget(target: string, command: Command): { host: string; port: number | undefined } {
  const match = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(target) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(target);
  const port = match?.[2] === undefined ? undefined : Number(match[2]);
  if (!match || (port !== undefined && (port < 1 || port > 65535))) command.error(`rotate reload: ${JSON.stringify(target)} is not HOST or HOST:PORT`, { exitCode: 2, code: 'crdb-tls.badTarget' });
  return { host: match![1]!, port };
}
