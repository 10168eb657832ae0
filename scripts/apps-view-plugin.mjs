// The MCP App pages' scripts (src/mcp/apps-view.ts and what it imports), bundled for the browser
// and handed to the Node bundle as a string: `import script from 'crdb-tls-view:./apps-view.ts'`
// (path relative to the importer). The page inlines it, so it loads nothing from anywhere.
import path from 'node:path';
import { build } from 'esbuild';

export const appsViewPlugin = {
  name: 'crdb-tls-apps-view',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^crdb-tls-view:/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.slice('crdb-tls-view:'.length)),
      namespace: 'crdb-tls-view',
    }));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'crdb-tls-view' }, async (args) => {
      const result = await bundleView(args.path);
      return { contents: `export default ${JSON.stringify(result.script)};`, loader: 'js', watchFiles: result.inputs };
    });
  },
};

/** One browser script (IIFE, minified), with the files it was made from. */
export async function bundleView(entry) {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: ['chrome120', 'firefox120', 'safari17'],
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  return { script: out.outputFiles[0].text, inputs: Object.keys(out.metafile.inputs).map((p) => path.resolve(p)) };
}
