/** What CockroachDB calls the files of a certs dir (pkg/security/certnames, reference §1.3). */
export const CA_CERT = 'ca.crt';
export const CLIENT_CA_CERT = 'ca-client.crt';
export const NODE_CERT = 'node.crt';
export const NODE_KEY = 'node.key';

export const clientCertName = (user: string) => `client.${user}.crt`;
export const clientKeyName = (user: string) => `client.${user}.key`;
export const clientPkcs8KeyName = (user: string) => `client.${user}.key.pk8`;
export const clientPkcs12Name = (user: string) => `client.${user}.p12`;
/**
 * Not a CockroachDB name: the PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----) pgJDBC >= 42.7.9 reads.
 * pgjdbc#3700 (PEMKeyManager, 42.7.9) picks PEM for an sslkey ending in .key or .pem (pgjdbc#3942);
 * pgjdbc#3946 then detects PEM by that PKCS#8 header, so `.pem` is the name both read as PEM.
 */
export const clientPkcs8PemKeyName = (user: string) => `client.${user}.key.pem`;

/** `cockroach cert list` usage strings (PemUsage.String()). */
export type CertUsage = 'CA' | 'Client CA' | 'Tenant Client CA' | 'UI CA' | 'Node' | 'UI' | 'Client' | 'Tenant Client' | 'Tenant Signing';

export interface CertFileKind {
  usage: CertUsage;
  /** The key file beside it, or undefined for CA certificates (their key lives at --ca-key). */
  keyFile: string | undefined;
  /** For client certs: the user the file name claims. */
  user?: string;
}

/** certificate_loader.go CertInfoFromFilename; undefined for a name CockroachDB would skip. */
export function classifyCertFile(fileName: string): CertFileKind | undefined {
  if (!fileName.endsWith('.crt')) return undefined;
  const stem = fileName.slice(0, -'.crt'.length);
  const key = `${stem}.key`;
  switch (stem) {
    case 'ca':
      return { usage: 'CA', keyFile: undefined };
    case 'ca-client':
      return { usage: 'Client CA', keyFile: undefined };
    case 'ca-client-tenant':
      return { usage: 'Tenant Client CA', keyFile: undefined };
    case 'ca-ui':
      return { usage: 'UI CA', keyFile: undefined };
    case 'node':
      return { usage: 'Node', keyFile: key };
    case 'ui':
      return { usage: 'UI', keyFile: key };
  }
  const dot = stem.indexOf('.');
  if (dot <= 0 || dot === stem.length - 1) return undefined;
  const prefix = stem.slice(0, dot);
  const rest = stem.slice(dot + 1);
  if (prefix === 'client') return { usage: 'Client', keyFile: key, user: rest };
  if (prefix === 'client-tenant') return { usage: 'Tenant Client', keyFile: key };
  if (prefix === 'tenant-signing') return { usage: 'Tenant Signing', keyFile: key };
  return undefined;
}

export const isCaUsage = (usage: CertUsage) => usage === 'CA' || usage === 'Client CA' || usage === 'Tenant Client CA' || usage === 'UI CA';
