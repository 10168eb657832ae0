// node-forge's own modules, each `module.exports = forge.<part>`: importing one instead of the
// package index keeps the rest of forge (~600 KB: TLS, ciphers, PKCS#7/#12) out of every command
// that only reads DER (src/pki/asn1.ts). @types/node-forge types the index only.
declare module 'node-forge/lib/asn1.js' {
  import type forge from 'node-forge';
  const asn1: typeof forge.asn1;
  export default asn1;
}
declare module 'node-forge/lib/util.js' {
  import type forge from 'node-forge';
  const util: typeof forge.util;
  export default util;
}
