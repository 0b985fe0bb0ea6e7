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

/** Control characters in text shown to the user, escaped (\x1b, \x00, …) so a value cannot move the cursor or hide text. */
export function escapeControl(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Cuts `s` to `max` characters with "…" (long values in messages). */
export function cut(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * The one line the CLI prints for a user error: the first line of the message (control characters
 * escaped, at most `max` characters), and how many more problems the message listed.
 */
export function oneLine(message: string, max = 400): string {
  const lines = message.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const hint = lines.length > 1 && /^Run 'sim/.test(lines[lines.length - 1]) ? lines.pop()! : "";
  let first = cut(escapeControl(lines[0] ?? "error"), max);
  const more = lines.length - 1;
  if (more > 0) first += ` (and ${more} more problem${more > 1 ? "s" : ""})`;
  if (hint) first += ` (${hint.replace(/^Run /, "run ").replace(/\.$/, "")})`;
  return first;
}
