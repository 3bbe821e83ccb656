import { type Logger, silentLogger } from "../log/logger";

export type BufferedWritesOptions<V, D> = {
  intervalMs: number;
  /** Folds a value into what is pending under its key (undefined when nothing is); may mutate it. */
  merge: (pending: V | undefined, value: D) => V;
  /** Writes one batch; when it throws, the batch is merged back and tried with the next one. */
  write: (batch: ReadonlyMap<string, V>) => Promise<void>;
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

  async flush(): Promise<void> {
    if (this.waiting.size === 0) return;
    const batch = this.waiting;
    this.waiting = new Map();
    try {
      await this.options.write(batch);
    } catch (error) {
      for (const [key, value] of batch) this.add(key, value);
      (this.options.logger ?? silentLogger).warn(this.options.failure, { error: (error as Error).message });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
