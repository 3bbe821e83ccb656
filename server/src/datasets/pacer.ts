/**
 * Sizes slices of bulk work so each statement holds the database for about `targetMs`: on the
 * embedded database a statement holds PGlite's only backend to its end, so a slice is what a
 * lookup may wait behind. Each slice's measured time steers the next one's size.
 */
export class Pacer {
  private size: number;

  constructor(private readonly options: { initial: number; min: number; max: number; targetMs: number }) {
    this.size = options.initial;
  }

  get next(): number {
    return this.size;
  }

  record(items: number, elapsedMs: number): void {
    if (items <= 0) return;
    const perItem = Math.max(elapsedMs, 0.5) / items;
    // Grow by at most 2× a step, so one fast slice of cheap rows does not overshoot on the next.
    const wanted = Math.min(this.options.targetMs / perItem, this.size * 2);
    this.size = Math.round(Math.min(this.options.max, Math.max(this.options.min, wanted)));
  }

  /** Runs one slice of `items` and records how long it took. */
  async time<T>(items: number, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await work();
    this.record(items, performance.now() - started);
    return result;
  }
}

/**
 * What one statement of bulk work aims to hold the database for: a lookup's statement waits
 * behind at most about this long. At 40 ms, four free keys' bulk work made a bystander's lookup
 * p99 4.0x and 5.4x its quiet phase on the embedded default (pnpm bench hostile, two runs); at
 * 20 ms 1.6x and 2.7x, while public's downloads took as long (pnpm bench datasets) and a
 * point-in-time training set 9% longer.
 */
export const SLICE_TARGET_MS = 20;
