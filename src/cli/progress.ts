// A progress bar on stderr for long-running commands (benchmarks, bulk imports).

/** Progress on stderr: redrawn in place at most ~10 times a second on a terminal, a line every few seconds otherwise. */
export class Progress {
  private last = 0;
  private readonly started = performance.now();
  private readonly tty: boolean;
  constructor(private readonly label: string, private readonly total: number) {
    this.tty = process.stderr.isTTY === true;
  }

  update(done: number, force = false): void {
    const now = performance.now();
    if (!force && now - this.last < (this.tty ? 100 : 5000)) return;
    this.last = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (this.total - done) / rate : 0;
    const width = 28;
    const filled = this.total > 0 ? Math.round((done / this.total) * width) : width;
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const line = `${this.label} ${bar} ${done}/${this.total} ${rate.toFixed(0)}/s ETA ${clock(eta)}`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  finish(): void {
    this.update(this.total, true);
    if (this.tty) process.stderr.write('\n');
  }
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
