import crypto from 'node:crypto';
import { ToolError } from '../src/core/errors.js';
import { readBoundedFile } from '../src/core/read-file.js';
import type { ToolContext } from '../src/core/tool.js';
import { refuseCaKeyAsClientKey } from '../src/pki/ca-key-guard.js';
import { parseCertificates, type ParsedCertificate } from '../src/pki/certificate.js';

/**
 * For tools that only name a client certificate and key (connection_string): reads them where
 * they are, inside the roots, to refuse a CA's pair. A path outside the roots or not on this
 * machine (settings for another host) is not read and not refused: nothing of it is used here.
 */
export async function refuseCaPairByPath(files: { cert?: string | undefined; key?: string | undefined; ca?: string | undefined }, ctx: ToolContext): Promise<void> {
  const read = async (userPath: string | undefined, what: string): Promise<Buffer | undefined> => {
    if (userPath === undefined) return undefined;
    try {
      return await readBoundedFile(ctx.paths.resolve(userPath, what), what);
    } catch (error) {
      if (error instanceof ToolError && error.code === 'input_too_large') throw error;
      return undefined;
    }
  };
  const certificates = (bytes: Buffer | undefined, what: string): ParsedCertificate[] => {
    if (!bytes) return [];
    try {
      return parseCertificates(bytes, what);
    } catch {
      return [];
    }
  };
  const [cert, key, ca] = await Promise.all([read(files.cert, 'client certificate'), read(files.key, 'client key'), read(files.ca, 'CA certificate')]);
  let keyObject: crypto.KeyObject | undefined;
  try {
    keyObject = key ? crypto.createPrivateKey(key) : undefined;
  } catch {
    try {
      keyObject = crypto.createPrivateKey({ key: key!, format: 'der', type: 'pkcs8' }); // a .pk8 for pgJDBC
    } catch {
      keyObject = undefined;
    }
  }
  refuseCaKeyAsClientKey({ cert: certificates(cert, 'client certificate')[0], key: keyObject, cas: certificates(ca, 'CA certificate'), keyName: 'the client key (key)', certName: 'client certificate (cert)' });
}
