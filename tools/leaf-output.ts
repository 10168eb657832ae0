import * as z from 'zod';
import { CertificateInfo } from '../src/pki/schemas.js';

/** What the two leaf-issuing tools answer: the files written and what the certificate holds. */
export const LeafOutput = z.object({
  certificate_file: z.string(),
  key_file: z.string().optional().describe('Absent when signing a CSR: the key never left its owner'),
  key_mode: z.string().optional().describe('The mode the key file was written with, e.g. 0600 (a replaced key never gets a wider mode than 0600)'),
  extra_files: z.array(z.string()).describe('PKCS#8 DER key, PKCS#12 bundle'),
  signed_by: z.string().describe('The CA file whose first certificate signed it'),
  certificate: CertificateInfo,
});

export function summarizeLeaf(output: z.infer<typeof LeafOutput>): string {
  const c = output.certificate;
  const names = [...c.sans.dns, ...c.sans.ip, ...c.sans.uri];
  return [
    `Wrote ${output.certificate_file}${output.key_file ? ` and ${output.key_file} (mode ${output.key_mode ?? '0600'})` : ''}: ${c.subject}${names.length ? `, SANs ${names.join(', ')}` : ''}`,
    `Signed by ${output.signed_by}; valid until ${c.not_after} (${c.days_left} days).`,
    ...output.extra_files.map((file) => `Also wrote ${file}.`),
  ].join('\n');
}
