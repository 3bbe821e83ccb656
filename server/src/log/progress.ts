import cliProgress from "cli-progress";

/** `unit`: what done and total count, when not the phase's own items (e.g. `bytes`). */
export type ProgressEvent = { phase: string; done: number; total: number; unit?: string };
export type ProgressReporter = (event: ProgressEvent) => void;

export const noProgress: ProgressReporter = () => {};

/** "about 40 s left" from the rate so far, once there is a rate to go by. */
export function timeLeft(done: number, total: number, elapsedMs: number): string {
  if (done <= 0 || done >= total) return "";
  const seconds = Math.ceil(((total - done) * elapsedMs) / done / 1000);
  return seconds >= 90 ? `, about ${Math.round(seconds / 60)} min left` : `, about ${seconds} s left`;
}

/**
 * A bar per phase on a terminal; elsewhere (CI, logs, docker) a line every 10% with the time
 * left, so long work is visible without flooding the output.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressReporter & {
  stop(): void;
} {
  let phase: string | undefined;
  let bar: cliProgress.SingleBar | undefined;
  let lastDecile = -1;
  let phaseStarted = performance.now();
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const report = (event: ProgressEvent) => {
    if (event.phase !== phase) {
      stop();
      phase = event.phase;
      lastDecile = -1;
      phaseStarted = performance.now();
      if (stream.isTTY) {
        bar = new cliProgress.SingleBar(
          {
            format: `${event.phase.padEnd(24)} [{bar}] {percentage}% | {value}/{total}${event.unit ? ` ${event.unit}` : ""} | {eta_formatted} left`,
            stream,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(event.total, event.done);
      }
    }
    if (bar) {
      bar.setTotal(event.total);
      bar.update(event.done);
      if (event.done >= event.total) stop();
      return;
    }
    const decile = event.total === 0 ? 10 : Math.floor((event.done / event.total) * 10);
    if (decile > lastDecile) {
      lastDecile = decile;
      const left = timeLeft(event.done, event.total, performance.now() - phaseStarted);
      const unit = event.unit ? ` ${event.unit}` : "";
      stream.write(`${event.phase}: ${event.done}/${event.total}${unit} (${decile * 10}%${left})\n`);
    }
  };
  return Object.assign(report, { stop });
}
