/**
 * Client certificates from Slack (DESIGN.md §5): only from a CSR, so the private key never leaves
 * its owner; only when the operator configured a CA key for the Slack app (CRDB_TLS_SLACK_CA_KEY);
 * only for the SQL users CRDB_TLS_SLACK_ISSUERS lets this Slack user ask for. The CA key and
 * certs dir come from configuration, never from the request. The CSR is written to the face's own
 * work dir under a random name, signed by create_client_cert through the runner (so the gate
 * applies: root and admin are high severity), and the certificate — public — is posted back.
 * A gated request keeps the CSR beside its confirmation so any replica can put it back.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AllowedPaths } from '../core/paths.js';
import { ToolError } from '../core/errors.js';
import { inputHash } from '../gate/gate.js';
import { PENDING_CALL_GRACE_MS } from '../store/types.js';
import { parseCsr } from '../pki/csr.js';
import { parseCertificates } from '../pki/certificate.js';
import { isPrivilegedUser, usernameProblem } from '../pki/username.js';
import { ruleCovers } from './config.js';
import { requesterOf, type FaceCore } from './face-core.js';
import type { SlackPolicy } from './policy.js';
import { context, header, sections, type Block } from './render/blocks.js';
import { renderError, renderProblem } from './render/outcome.js';
import type { Reply } from './reply.js';
import { codeBlock, escapeMrkdwn } from './text.js';

const TOOL = 'create_client_cert';

export interface IssueRequest {
  user: string;
  csrPem: string;
  /** The subcommand's input (csr_pem, lifetime). */
  input: Record<string, unknown>;
  reply: Reply;
  request: string;
}

export class Issuance {
  constructor(
    private readonly face: FaceCore,
    private readonly policy: SlackPolicy,
  ) {}

  /** The SQL users this Slack user may ask certificates for. */
  async mayIssue(user: string, sqlUser: string): Promise<boolean> {
    for (const rule of this.face.config.issuers) {
      if (ruleCovers(rule, sqlUser) && (await this.policy.includes([rule.who], user))) return true;
    }
    return false;
  }

  /** The runtime's roots plus the face's own work dir, where CSRs and issued certificates pass through. */
  private paths(): AllowedPaths {
    const { issuance } = this.face.config;
    return new AllowedPaths([...(this.face.runtime.config.roots ?? []), issuance!.workDir]);
  }

  async request(req: IssueRequest): Promise<void> {
    const { reply } = req;
    const issuance = this.face.config.issuance;
    const tool = this.face.tool(TOOL);
    if (!issuance || !tool) {
      await reply.whisper(renderProblem('🔒 Issuing certificates from Slack is off', 'The operator has not configured a CA key for the Slack app (CRDB_TLS_SLACK_CA_KEY), so I cannot sign your CSR. Nothing was done.', 'Ask your platform team, or sign it yourself with: crdb-tls cert create-client --csr FILE --out FILE'));
      return;
    }
    let sqlUser: string;
    try {
      const csr = parseCsr(Buffer.from(req.csrPem), 'the pasted CSR');
      sqlUser = csr.commonName.normalize('NFC').toLowerCase();
      const problem = usernameProblem(sqlUser);
      if (problem) throw new ToolError('invalid_csr', `the CSR's common name ${JSON.stringify(csr.commonName)} is not a valid SQL user name (${problem})`, 'The CN must be the SQL user the certificate logs in as: -subj "/O=Cockroach/CN=<user>".');
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      await reply.whisper(renderError(tool, error.toStructured()));
      return;
    }
    if (!(await this.mayIssue(req.user, sqlUser))) {
      const reason = `${req.user} may not ask for certificates of SQL user ${sqlUser} (CRDB_TLS_SLACK_ISSUERS)`;
      await this.face.runtime.runner.store.appendAudit({
        event: 'refused', tool: TOOL, requester: requesterOf(req.user), confirmer: null, severity: isPrivilegedUser(sqlUser) ? 'high' : null,
        confirmation_id: null, input_hash: inputHash(TOOL, { csr_sha256: sha256(req.csrPem) }), detail: { stage: 'slack_issuers', reason, sql_user: sqlUser },
      });
      await reply.whisper(renderProblem('⛔ Not allowed', `<@${req.user}> may not ask for a certificate for SQL user \`${sqlUser}\` from Slack. Nothing was done.`, 'CRDB_TLS_SLACK_ISSUERS says who may ask for which SQL users; ask the app\'s operator.'));
      return;
    }
    await fs.mkdir(issuance.workDir, { recursive: true, mode: 0o700 });
    await this.sweep(issuance.workDir);
    const name = `csr-${crypto.randomBytes(12).toString('base64url')}`;
    const input: Record<string, unknown> = {
      certs_dir: issuance.certsDir,
      ca_key: issuance.caKey,
      csr: path.join(issuance.workDir, `${name}.csr`),
      out: path.join(issuance.workDir, `${name}.crt`),
      ...(typeof req.input.lifetime === 'string' ? { lifetime: req.input.lifetime } : {}),
    };
    await fs.writeFile(String(input.csr), req.csrPem, { mode: 0o600 });
    await reply.start(`⏳ <@${req.user}> asked for a client certificate for \`${sqlUser}\` — working on it…`);
    const outcome = await this.face.runtime.runner.run(tool, input, this.face.context(req.user, { reply, paths: this.paths() }));
    if (outcome.ok && outcome.output.status === 'done') {
      await reply.finish({ text: `Client certificate for ${sqlUser}`, blocks: [header(`✅ Client certificate for ${sqlUser}`), ...(await this.deliver(input))] });
      return;
    }
    if (!outcome.ok || outcome.output.status !== 'confirmation_required') await this.cleanUp(input);
    await this.face.answer(tool, input, outcome, reply, req.user, `${req.request} (SQL user ${sqlUser})`, { csrPem: req.csrPem });
  }

  /** Puts the CSR back where the input names it (a click may reach another replica) and returns the paths to run with. */
  async restore(input: Record<string, unknown>, csrPem: string): Promise<AllowedPaths> {
    const issuance = this.face.config.issuance;
    const csrPath = String(input.csr);
    if (!issuance || path.dirname(csrPath) !== issuance.workDir) throw new ToolError('refused', 'this confirmation names a CSR outside the Slack work dir', 'Ask again.');
    await fs.mkdir(issuance.workDir, { recursive: true, mode: 0o700 });
    // Whole or not at all: a click that finds the file (EEXIST) reads it at once, so it must never
    // see it half-written. The CSR is written to a name of its own and linked into place.
    const staged = `${csrPath}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    await fs.writeFile(staged, csrPem, { mode: 0o600, flag: 'wx' });
    try {
      await fs.link(staged, csrPath).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    } finally {
      await fs.rm(staged, { force: true });
    }
    return this.paths();
  }

  /** The issued certificate as blocks (it is public), then the request's files are removed. */
  async deliver(input: Record<string, unknown>): Promise<Block[]> {
    const pem = await fs.readFile(String(input.out), 'utf8');
    await this.cleanUp(input);
    const [cert] = parseCertificates(Buffer.from(pem), 'the issued certificate');
    const info = cert?.info;
    const user = info?.common_name ?? 'USER';
    return [
      context(
        ...(info ? [`subject \`${escapeMrkdwn(info.subject)}\``, `valid until *${info.not_after.slice(0, 10)}* (${info.days_left} days)`, `SHA-256 \`${info.sha256_fingerprint.slice(0, 23)}…\``] : []),
      ),
      ...sections(`Save this as \`client.${escapeMrkdwn(user)}.crt\` next to your key (\`client.${escapeMrkdwn(user)}.key\`, which never left your machine):\n${codeBlock(pem.trim())}`),
    ];
  }

  /** Removes what requests nobody confirmed left behind, once their confirmations can no longer be used. */
  private async sweep(dir: string): Promise<void> {
    const cutoff = Date.now() - this.face.runtime.runner.policy.confirmationTtlMs - PENDING_CALL_GRACE_MS;
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const file = path.join(dir, name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (stat && stat.mtimeMs < cutoff && /^csr-[A-Za-z0-9_-]+\.(csr|crt)$/.test(name)) await fs.rm(file, { force: true });
    }
  }

  async cleanUp(input: Record<string, unknown>): Promise<void> {
    await Promise.all([input.csr, input.out].map((file) => (typeof file === 'string' ? fs.rm(file, { force: true }) : Promise.resolve())));
  }
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}
