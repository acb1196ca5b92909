/** The one error type of the migration engine: it names the file and line where there is one. */
export class MigrationError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly code: string | undefined;
  constructor(message: string, opts: { file?: string; line?: number; code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MigrationError';
    this.file = opts.file;
    this.line = opts.line;
    this.code = opts.code;
  }
}
