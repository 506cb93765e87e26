/** Exit codes of the `meshproof` command. */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  invalidInput: 2,
  clusterUnreachable: 3,
  internal: 4,
} as const;

/**
 * An error the user can fix: invalid usage or input. The CLI prints its message as one paragraph,
 * with no stack trace, and exits with `exitCode`.
 */
export class UserError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = ExitCode.invalidInput) {
    super(message);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}

/** Invalid input at a known place: `file:line:column: field: problem. what to do`. */
export class InputError extends UserError {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;

  constructor(file: string, problem: string, place: { line?: number; column?: number } = {}) {
    const where = [file, place.line, place.column].filter((part) => part !== undefined).join(":");
    super(`${where}: ${problem}`);
    this.name = "InputError";
    this.file = file;
    this.line = place.line;
    this.column = place.column;
  }
}
