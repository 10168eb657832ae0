/**
 * Errors are values: a stable code, a message a person can act on, and a hint saying what to do.
 * Faces decide how to show them; nothing below the faces prints a stack trace.
 */
export type ErrorCode =
  | 'invalid_input' // the caller asked for something malformed (bad user name, bad duration, ...)
  | 'not_found' // a file or directory the call needs does not exist
  | 'already_exists' // a file would be overwritten without permission to do so
  | 'permission_denied' // the OS refused to read or write
  | 'outside_roots' // a path lies outside CRDB_TLS_ROOTS
  | 'invalid_certificate' // not a certificate, or not parseable
  | 'invalid_key' // not a private key, or the wrong one
  | 'invalid_csr'
  | 'lifetime_exceeds_ca' // a leaf would outlive the CA that signs it
  | 'refused' // the gate or policy refused the call
  | 'input_too_large' // the input is over the tool's size limit; nothing was processed
  | 'unavailable' // a remote service (the Cloud API) failed, timed out or could not be reached
  | 'operation_failed' // a remote service accepted a change and then reported that it failed
  | 'cancelled' // the caller stopped the call (MCP cancellation, Ctrl-C) before it finished
  | 'internal'; // a bug: reported with a generic message, details go to the log

export interface StructuredError {
  code: ErrorCode;
  message: string;
  hint?: string;
}

export class ToolError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'ToolError';
    this.code = code;
    if (hint !== undefined) this.hint = hint;
  }

  toStructured(): StructuredError {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

/** Maps an OS error on `path` to a ToolError with a hint; a ToolError (e.g. from readBoundedFile) passes through as it is. */
export function fileSystemError(error: unknown, path: string, action: string): ToolError {
  if (error instanceof ToolError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new ToolError('not_found', `cannot ${action} ${path}: no such file or directory`, 'Check the path; create the directory first if it is new.');
    case 'EACCES':
    case 'EPERM':
      return new ToolError('permission_denied', `cannot ${action} ${path}: permission denied`, 'Run as a user who may write there, or choose another directory.');
    case 'EEXIST':
      return new ToolError('already_exists', `cannot ${action} ${path}: file exists`, 'Pass --overwrite (overwrite: true) to replace it.');
    case 'ENOTDIR':
      return new ToolError('not_found', `cannot ${action} ${path}: a part of the path is not a directory`, 'Check the path.');
    case 'EISDIR':
      return new ToolError('invalid_input', `cannot ${action} ${path}: it is a directory`, 'Name a file, not a directory.');
    case 'ENAMETOOLONG':
      return new ToolError('invalid_input', `cannot ${action} ${path}: the path or a name in it is too long`, 'Use a shorter path.');
    case 'ELOOP':
      return new ToolError('invalid_input', `cannot ${action} ${path}: too many levels of symbolic links`, 'Check the symbolic links along the path.');
    case 'EROFS':
      return new ToolError('permission_denied', `cannot ${action} ${path}: read-only file system`, 'Choose a writable directory.');
    case 'ENOSPC':
      return new ToolError('permission_denied', `cannot ${action} ${path}: no space left on device`, 'Free some space and try again.');
    default:
      return new ToolError('internal', `cannot ${action} ${path}: ${(error as Error)?.message ?? String(error)}`);
  }
}

export function toStructuredError(error: unknown): StructuredError {
  if (error instanceof ToolError) return error.toStructured();
  return { code: 'internal', message: 'internal error: ' + ((error as Error)?.message ?? String(error)), hint: 'This is a bug in crdb-tls; the log on stderr has the details.' };
}
