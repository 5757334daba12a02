/** Exit codes of every totra command. */
export const EXIT = {
  ok: 0,
  /** Tampering found (verify) or a service down (status). */
  failed: 1,
  /** Usage error, bad input, or an engine that cannot be reached. */
  usage: 2,
} as const;

/** An error the CLI reports as one line and an exit code, without a stack trace. */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode: number = EXIT.usage, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }
}
