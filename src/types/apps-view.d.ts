// An MCP App page's script, bundled for the browser at build time by scripts/apps-view-plugin.mjs
// (`import script from 'crdb-tls-view:./apps-view.ts'`, path relative to the importer).
declare module 'crdb-tls-view:*' {
  const script: string;
  export default script;
}
