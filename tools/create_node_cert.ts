import * as z from 'zod';
import { defineTool, type ToolContext } from '../src/core/tool.js';
import { assessCreateNode, createNodeCert, type CreateNodeOptions } from '../src/pki/create-leaf.js';
import { LEAF_LIFETIME, caKeyField, certsDirField, keySizeField, lifetimeField, lifetimeMs, overwriteField, resolveCaKey, resolveCertsDir } from './inputs.js';
import { LeafOutput, summarizeLeaf } from './leaf-output.js';

const Input = z.object({
  hosts: z.array(z.string().min(1)).min(1).describe('Every DNS name and IP address clients and other nodes use to reach this node'),
  certs_dir: certsDirField,
  ca_key: caKeyField,
  key_size: keySizeField,
  lifetime: lifetimeField(LEAF_LIFETIME),
  overwrite: overwriteField,
});

function options(input: z.infer<typeof Input>, ctx: ToolContext): CreateNodeOptions {
  return { hosts: input.hosts, certsDir: resolveCertsDir(input.certs_dir, ctx), caKeyPath: resolveCaKey(input.ca_key, ctx), keySize: input.key_size, lifetimeMs: lifetimeMs(input.lifetime), overwrite: input.overwrite, watch: { signal: ctx.signal, progress: ctx.progress }, insideRoots: ctx.paths.insideRootsCheck };
}

export default defineTool({
  name: 'create_node_cert',
  title: 'Create a CockroachDB node certificate',
  description:
    'Creates node.crt and node.key in the certs dir, signed by the first CA of ca.crt, like `cockroach cert create-node`: CN=node, serverAuth+clientAuth, ' +
    'each host an IP or DNS SAN. List every name clients dial (load balancer names too), or verify-full clients fail with a host name mismatch. ' +
    'Example: { "hosts": ["localhost", "127.0.0.1", "node1.example.com"], "certs_dir": "certs", "ca_key": "my-safe-directory/ca.key" }',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  effects: 'writes-files',
  input: Input,
  output: LeafOutput,
  assess: (input, ctx) => assessCreateNode(options(input, ctx)),
  run: (input, ctx) => createNodeCert(options(input, ctx)),
  summary: summarizeLeaf,
});
