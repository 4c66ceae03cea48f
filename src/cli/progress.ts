import { formatNumber } from '../report/scale.js';

/** Where the live view writes: a terminal (redrawn in place) or a log (plain lines). */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** What the study reports while a run trains. */
export interface ProgressTick {
  readonly step: number;
  readonly loss: number;
  readonly gradNorm: number;
}

/** The live view of a study: one progress line per configuration. */
export interface ProgressView {
  start(name: string, totalSteps: number): void;
  update(tick: ProgressTick): void;
  finish(note: string): void;
}

const ANSI = {
  bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', reset: '\x1b[0m', clearLine: '\x1b[2K\r',
} as const;

/**
 * A progress view suited to `out`: on a terminal, a bar redrawn in place (plain ANSI, at most
 * every 50 ms); otherwise plain lines at 0, 25, 50, 75 and 100 %, so CI logs stay readable.
 * Set `NO_COLOR` to drop colours on a terminal.
 * @example
 * const view = progressView(process.stdout);
 * view.start('AGC', 400);
 * view.update({ step: 0, loss: 2.3, gradNorm: 41 });
 * view.finish('finite');
 */
export function progressView(out: Output, options: { color?: boolean; nameWidth?: number } = {}): ProgressView {
  const nameWidth = options.nameWidth ?? 16;
  return out.isTTY === true ? new TerminalProgress(out, options.color ?? true, nameWidth) : new LineProgress(out, nameWidth);
}

/** Steps per second since `startedAt`. */
function rate(step: number, startedAt: number): number {
  const seconds = (performance.now() - startedAt) / 1000;
  return seconds > 0 ? (step + 1) / seconds : 0;
}

function figures(tick: ProgressTick, startedAt: number): string {
  return `loss ${formatNumber(tick.loss).padStart(8)}  ‖grad‖ ${formatNumber(tick.gradNorm).padStart(8)}  ${rate(tick.step, startedAt).toFixed(0).padStart(4)} steps/s`;
}

class TerminalProgress implements ProgressView {
  private name = '';
  private total = 1;
  private startedAt = 0;
  private lastDraw = 0;
  private last: ProgressTick | null = null;
  constructor(private readonly out: Output, private readonly color: boolean, private readonly nameWidth: number) {}

  start(name: string, totalSteps: number): void {
    this.name = name;
    this.total = Math.max(1, totalSteps);
    this.startedAt = performance.now();
    this.lastDraw = 0;
    this.last = null;
    this.out.write(`${ANSI.clearLine}${this.paint(ANSI.bold, name.padEnd(this.nameWidth))} starting…`);
  }

  update(tick: ProgressTick): void {
    this.last = tick;
    const now = performance.now();
    if (now - this.lastDraw < 50 && tick.step + 1 < this.total) return;
    this.lastDraw = now;
    this.out.write(ANSI.clearLine + this.line(tick));
  }

  finish(note: string): void {
    const body = this.last === null ? '' : this.line(this.last);
    const mark = note.startsWith('NaN') || note.includes('non-finite') ? this.paint(ANSI.red, note) : this.paint(ANSI.green, note);
    this.out.write(`${ANSI.clearLine}${body}  ${mark}\n`);
  }

  private line(tick: ProgressTick): string {
    const width = Math.max(10, Math.min(28, (this.out.columns ?? 100) - this.nameWidth - 74));
    const filled = Math.round(((tick.step + 1) / this.total) * width);
    const bar = '█'.repeat(filled) + this.paint(ANSI.dim, '░'.repeat(width - filled));
    const counter = `${String(tick.step + 1).padStart(String(this.total).length)}/${this.total}`;
    const finite = Number.isFinite(tick.loss) && Number.isFinite(tick.gradNorm);
    const text = figures(tick, this.startedAt);
    return `${this.paint(ANSI.bold, this.name.padEnd(this.nameWidth))} ${bar} ${counter}  ${finite ? text : this.paint(ANSI.red, text)}`;
  }

  private paint(code: string, text: string): string {
    return this.color ? `${code}${text}${ANSI.reset}` : text;
  }
}

class LineProgress implements ProgressView {
  private name = '';
  private total = 1;
  private startedAt = 0;
  private nextQuarter = 0;
  private last: ProgressTick | null = null;
  constructor(private readonly out: Output, private readonly nameWidth: number) {}

  start(name: string, totalSteps: number): void {
    this.name = name;
    this.total = Math.max(1, totalSteps);
    this.startedAt = performance.now();
    this.nextQuarter = 0;
    this.last = null;
  }

  update(tick: ProgressTick): void {
    this.last = tick;
    const done = (tick.step + 1) / this.total;
    if (tick.step !== 0 && done < this.nextQuarter / 4) return;
    while (this.nextQuarter / 4 <= done) this.nextQuarter++;
    if (tick.step + 1 === this.total) return; // the final line comes from finish()
    this.out.write(`${this.prefix(tick)}  ${figures(tick, this.startedAt)}\n`);
  }

  finish(note: string): void {
    const tick = this.last;
    const body = tick === null ? this.name.padEnd(this.nameWidth) : `${this.prefix(tick)}  ${figures(tick, this.startedAt)}`;
    this.out.write(`${body}  ${note}\n`);
  }

  private prefix(tick: ProgressTick): string {
    return `${this.name.padEnd(this.nameWidth)} step ${String(tick.step + 1).padStart(String(this.total).length)}/${this.total}`;
  }
}
