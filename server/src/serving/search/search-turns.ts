/**
 * Searches in flight in this process, and background work (the outlier ceiling's sample) that
 * lets them go first. On the embedded database every statement holds the one backend, so a
 * search that arrives behind the background's statements waits for them: the background issues
 * its next statement only once no search is in flight, or once it has waited `patience` × its
 * last statement's time (at least `minWaitMs`), so a steady stream of searches still lets it on
 * at about 1 / (patience + 1) of the time, and it finishes.
 */
export class SearchTurns {
  private inFlight = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly patience = 9,
    private readonly minWaitMs = 50,
  ) {}

  /** Runs an interactive piece of work (a search, a vector lookup); background work waits for it. */
  async interactive<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      if (--this.inFlight === 0) this.wake();
    }
  }

  /** Resolves when the background may issue its next statement; `lastMs` is how long its last one took. */
  background(lastMs = 0): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const go = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== go);
        resolve();
      };
      const timer = setTimeout(go, Math.max(this.minWaitMs, this.patience * lastMs));
      this.waiters.push(go);
    });
  }

  private wake(): void {
    for (const go of [...this.waiters]) go();
  }
}
