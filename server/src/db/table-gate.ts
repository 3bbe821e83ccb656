/** How a run of a table got its turn: after its readers were done, or after it stopped waiting for them. */
export type WriteTurn = { waitedMs: number; readersLeft: number };

type Table = { readers: number; writing: Promise<void> | undefined; drained: Set<() => void> };

/**
 * Readers of tables that read them a slice at a time (embedded downloads and cards: see
 * SnapshotOptions.sliced) and the materialization runs that rewrite those tables take turns in
 * this process. A run waits for the readers already reading its table, at most `maxWaitMs`, and
 * readers that come meanwhile wait for the run: so a download is not cut off by a run that
 * committed between two of its slices, and a stream of downloads cannot hold a view back
 * for longer than the bound. A reader still reading when a run stops waiting fails on the
 * snapshot's version check, as every reader would without this gate.
 */
export class TableGate {
  private readonly tables = new Map<string, Table>();

  async read<T>(tables: readonly string[], work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const names = [...new Set(tables)];
    for (;;) {
      const writes = names.map((name) => this.tables.get(name)?.writing).filter((w) => w !== undefined);
      if (writes.length === 0) break;
      await untilAborted(Promise.all(writes), signal);
    }
    for (const name of names) this.table(name).readers++;
    try {
      return await work();
    } finally {
      for (const name of names) this.leave(name);
    }
  }

  async write<T>(table: string, maxWaitMs: number, work: (turn: WriteTurn) => Promise<T>): Promise<T> {
    let entry = this.table(table);
    while (entry.writing) {
      await entry.writing;
      entry = this.table(table);
    }
    let finish = () => {};
    entry.writing = new Promise((resolve) => {
      finish = resolve;
    });
    try {
      const started = performance.now();
      await this.drained(entry, maxWaitMs);
      return await work({ waitedMs: Math.round(performance.now() - started), readersLeft: entry.readers });
    } finally {
      entry.writing = undefined;
      finish();
      this.forget(table, entry);
    }
  }

  /** Readers reading `table` now (0 when none). */
  readers(table: string): number {
    return this.tables.get(table)?.readers ?? 0;
  }

  /** Whether a run of `table` is waiting for its readers or running. */
  writing(table: string): boolean {
    return this.tables.get(table)?.writing !== undefined;
  }

  private table(name: string): Table {
    let entry = this.tables.get(name);
    if (!entry) {
      entry = { readers: 0, writing: undefined, drained: new Set() };
      this.tables.set(name, entry);
    }
    return entry;
  }

  private leave(name: string): void {
    const entry = this.tables.get(name);
    if (!entry) return;
    entry.readers--;
    if (entry.readers === 0) for (const wake of entry.drained) wake();
    this.forget(name, entry);
  }

  private forget(name: string, entry: Table): void {
    if (entry.readers === 0 && !entry.writing && entry.drained.size === 0) this.tables.delete(name);
  }

  private drained(entry: Table, maxWaitMs: number): Promise<void> {
    if (entry.readers === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        entry.drained.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, maxWaitMs);
      entry.drained.add(wake);
    });
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}
