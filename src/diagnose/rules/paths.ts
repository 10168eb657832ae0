import type { Weights } from './types.js';

/**
 * "open X: no such file or directory" says a file is missing, not which one. The path decides:
 * a CA (ca.crt, root.crt, *-ca.crt, ca-client.crt) or a client certificate / key. Works on the
 * lowercased, bounded line around the match; plain indexOf, no regular expressions.
 */
export type FileRole = 'ca' | 'client' | 'unknown';

export function classifyPath(filePath: string): FileRole {
  const p = filePath.toLowerCase();
  const slash = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  const base = p.slice(slash + 1);
  if (base.startsWith('ca.') || base.startsWith('ca-') || base.startsWith('ca_') || base === 'root.crt' || base.includes('-ca.') || base.includes('_ca.') || base.includes('rootca') || base.includes('root-ca') || base.includes('cacert') || base.includes('ca-bundle') || base.includes('ca-certificates')) {
    return 'ca';
  }
  if (base.startsWith('client.') || base.startsWith('client-') || base.endsWith('.key') || base.endsWith('.pk8') || base.endsWith('.p12') || base.endsWith('.pfx') || base === 'postgresql.crt' || base.includes('key.pem') || base.includes('cert.pem')) {
    return 'client';
  }
  return 'unknown';
}

/** The path a "file not found" line names, in the wordings of Go, Node, C and Java. */
export function pathInMissingFileLine(line: string): string | undefined {
  const nodeOpen = line.indexOf(", open '");
  if (nodeOpen >= 0) {
    const start = nodeOpen + ", open '".length;
    const end = line.indexOf("'", start);
    if (end > start) return line.slice(start, end);
  }
  const goStyle = line.indexOf(': no such file or directory');
  if (goStyle > 0) {
    const open = line.lastIndexOf('open ', goStyle);
    if (open >= 0 && goStyle - open < 400) return line.slice(open + 5, goStyle).trim();
    // Go os.Stat: "stat /path/file: no such file or directory" (lib/pq reading sslkey).
    const stat = line.lastIndexOf('stat ', goStyle);
    if (stat >= 0 && goStyle - stat < 400) return line.slice(stat + 5, goStyle).trim();
    const quoteEnd = line.lastIndexOf('"', goStyle);
    const quoteStart = quoteEnd > 0 ? line.lastIndexOf('"', quoteEnd - 1) : -1;
    if (quoteStart >= 0 && quoteEnd - quoteStart < 400) return line.slice(quoteStart + 1, quoteEnd);
  }
  const javaStyle = line.indexOf(' (no such file or directory)');
  if (javaStyle > 0) {
    const colon = line.lastIndexOf(': ', javaStyle);
    if (colon >= 0 && javaStyle - colon < 400) return line.slice(colon + 2, javaStyle).trim();
  }
  return undefined;
}

export function refineMissingFile(line: string): Weights | undefined {
  const found = pathInMissingFileLine(line);
  if (found === undefined) return undefined;
  const role = classifyPath(found);
  if (role === 'ca') return { ca_file_missing: 0.85 };
  if (role === 'client') return { client_cert_file_missing: 0.85 };
  return undefined;
}
