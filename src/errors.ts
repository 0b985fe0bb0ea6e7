/**
 * Errors the user can fix (bad scenario, missing file, bad trace) carry exit code 2; anything else is an
 * internal error (exit code 1). The CLI's one catch turns them into a line on stderr and an exit status.
 */
export class InputError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}
