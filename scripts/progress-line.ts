/**
 * A line saying what a long start is doing and for how long so far: rewritten
 * in place every second on a terminal; elsewhere (a log, CI) one line per step.
 */
export interface ProgressLine {
  /** Says that `what` is under way now. */
  step(what: string): void;
  /** Ends the line (on a terminal: clears it); the seconds since it began. */
  done(): string;
}

/** A progress line for `who` on stdout. */
export function progressLine(who: string, out: NodeJS.WriteStream = process.stdout): ProgressLine {
  const started = performance.now();
  let current = '';
  let timer: NodeJS.Timeout | undefined;
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  const draw = () => out.write(`\r\x1b[2K${who}: ${current} (${seconds()} s so far)`);
  return {
    step(what) {
      current = what;
      if (!out.isTTY) return void out.write(`${who}: ${what}…\n`);
      draw();
      timer ??= setInterval(draw, 1_000).unref();
    },
    done() {
      clearInterval(timer);
      if (out.isTTY && current) out.write('\r\x1b[2K');
      current = '';
      return seconds();
    },
  };
}
