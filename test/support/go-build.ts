// Builds a test's Go program with the installed Go, once per source: the binary is kept in the
// temp dir under the SHA-256 of the Go version and the source, so the next test file (or the next
// run) that needs it skips `go build`. The build cache is shared too: a fresh GOCACHE recompiles
// crypto/x509 and its dependencies from the standard library every time (~15 s on two cores).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where built programs and Go's build cache live; CRDB_TLS_TEST_GO_CACHE moves it. */
function goCacheDir(): string {
  return process.env.CRDB_TLS_TEST_GO_CACHE ?? path.join(os.tmpdir(), `crdb-tls-go-cache-${process.getuid?.() ?? 'user'}`);
}

let goVersion: string | undefined;

/**
 * The path of `name` built from `source` (the text of a main package that imports the standard
 * library only). Concurrent test files may build the same program at once: each builds into its
 * own temp file and renames it into place, so a reader never sees half a binary.
 */
export function goProgram(name: string, source: string): string {
  goVersion ??= execFileSync('go', ['version'], { encoding: 'utf8' }).trim();
  const hash = crypto.createHash('sha256').update(goVersion).update('\0').update(source).digest('hex').slice(0, 16);
  const cache = goCacheDir();
  const binary = path.join(cache, 'bin', `${name}-${hash}`);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(path.join(cache, 'bin'), { recursive: true, mode: 0o700 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `crdb-tls-go-${name}-`));
  try {
    fs.writeFileSync(path.join(dir, 'main.go'), source);
    const out = path.join(dir, name);
    // Offline and standard library only: GOPROXY=off means no module download can happen.
    execFileSync('go', ['build', '-o', out, 'main.go'], {
      cwd: dir,
      env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '', GOPROXY: 'off', CGO_ENABLED: '0', GOCACHE: path.join(cache, 'build'), GOPATH: path.join(cache, 'gopath') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    fs.renameSync(out, binary);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return binary;
}
