import { type Logger, silentLogger } from "../log/logger";

export type BufferedWritesOptions<V, D> = {
  intervalMs: number;
  /** Folds a value into what is pending under its key (undefined when nothing is); may mutate it. */
  merge: (pending: V | undefined, value: D) => V;
  /** Writes one batch; when it throws, the batch is merged back and tried with the next one. */
  write: (batch: ReadonlyMap<string, V>) => Promise<void>;
  /** Called once a batch is written, in the same turn it stops being in flight. */
  written?: (batch: ReadonlyMap<string, V>) => void;
  logger?: Logger;
  /** Logged as a warning when a write fails. */
  failure: string;
};

/**
 * Values gathered per key in memory and written in one batch per interval, so the request path
 * never waits for a write and a key costs at most one row write per interval.
 */
export class BufferedWrites<V extends D, D = V> {
  private waiting = new Map<string, V>();
  private readonly writing = new Map<ReadonlyMap<string, V>, Promise<void>>();
  private writesStarted = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: BufferedWritesOptions<V, D>) {
    this.timer = setInterval(() => void this.flush(), options.intervalMs);
    this.timer.unref();
  }

  add(key: string, value: D): void {
    this.waiting.set(key, this.options.merge(this.waiting.get(key), value));
  }

  /** What waits for the next flush. */
  get pending(): ReadonlyMap<string, V> {
    return this.waiting;
  }

  /** The batches being written: neither pending nor written yet. */
  get inFlight(): Iterable<ReadonlyMap<string, V>> {
    return this.writing.keys();
  }

  /**
   * A mark to give quietSince: a reader of what the writes write takes one before it reads, and
   * knows after whether any write could have landed in the middle of its read.
   */
  mark(): number {
    return this.writing.size > 0 ? -1 : this.writesStarted;
  }

  /** Whether no write was in flight at `mark` and none has begun since. */
  quietSince(mark: number): boolean {
    return mark >= 0 && mark === this.writesStarted;
  }

  /** Resolves once no batch is in flight. */
  async idle(): Promise<void> {
    while (this.writing.size > 0) await Promise.all(this.writing.values());
  }

  flush(): Promise<void> {
    if (this.waiting.size === 0) return Promise.resolve();
    const batch = this.waiting;
    this.waiting = new Map();
    this.writesStarted++;
    const done = Promise.resolve().then(() => this.writeOut(batch));
    this.writing.set(batch, done);
    return done;
  }

  private async writeOut(batch: ReadonlyMap<string, V>): Promise<void> {
    try {
      await this.options.write(batch);
    } catch (error) {
      this.writing.delete(batch);
      for (const [key, value] of batch) this.add(key, value);
      this.warn(error);
      return;
    }
    // Written: never merged back, whatever the hand-over does.
    this.writing.delete(batch);
    try {
      this.options.written?.(batch);
    } catch (error) {
      this.warn(error);
    }
  }

  private warn(error: unknown): void {
    (this.options.logger ?? silentLogger).warn(this.options.failure, { error: (error as Error).message });
  }

  /** Writes what waits, after any write in flight (a timer's flush) has ended. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    await this.idle();
  }
}
