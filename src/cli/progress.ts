import { fmtDuration } from "../charts/format.ts";

/**
 * Progress on stderr for runs longer than a couple of seconds: a bar redrawn in place on a terminal, a
 * line every 10 s otherwise. Wall-clock time is read here, at the edge, never in the model.
 */
export class Progress {
  private readonly start = performance.now();
  private lastPrint = 0;
  private drawn = false;
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly quiet: boolean;
  private readonly label: string;

  constructor(label: string, quiet: boolean) {
    this.label = label;
    this.quiet = quiet;
  }

  /** `detail` is shown after the label (e.g. which of a plan's runs this is). */
  update(nowUs: number, durationUs: number, requests: number, detail = ""): void {
    if (this.quiet) return;
    const wall = (performance.now() - this.start) / 1000;
    if (wall < 2) return;
    // on a terminal, redrawn 4 times a second; in a log, a first line at 2 s and then one every 10 s
    if (this.lastPrint > 0 && wall - this.lastPrint < (this.tty ? 0.25 : 10)) return;
    this.lastPrint = wall;
    const frac = Number.isFinite(durationUs) ? Math.min(1, nowUs / durationUs) : NaN;
    const rate = requests / wall;
    const eta = frac > 0 ? wall * (1 / frac - 1) : NaN;
    const bar = Number.isFinite(frac) ? `[${"#".repeat(Math.round(frac * 24)).padEnd(24, ".")}] ${(frac * 100).toFixed(0).padStart(3)}% ` : "";
    const text =
      `${this.label}${detail ? ` (${detail})` : ""} ${bar}simulated ${fmtDuration(Math.floor(nowUs / 1e6))}` +
      `${Number.isFinite(durationUs) ? ` of ${fmtDuration(durationUs / 1e6)}` : ""} · ${(rate / 1e6).toFixed(2)} M req/s` +
      (Number.isFinite(eta) ? ` · ETA ${fmtDuration(Math.ceil(eta))}` : "");
    if (this.tty) {
      process.stderr.write(`\r${text}\x1b[K`);
      this.drawn = true;
    } else process.stderr.write(`${text}\n`);
  }

  done(): void {
    if (this.drawn) process.stderr.write("\r\x1b[K");
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.start) / 1000;
  }
}
