import { DomainError } from "../../errors";

export type ExactTurnLimits = {
  /** Searches that may wait for their turn in this process, in all and per account. */
  waiting: number;
  perOwner: number;
};

const DEFAULT_EXACT_TURN_LIMITS: ExactTurnLimits = { waiting: 16, perOwner: 4 };

/**
 * Exact scans of a whole embedding, one at a time in this process, accounts taking turns. Each
 * reads every vector (57,718 at scale 1, ~100 ms of a core; ten times that at scale 10), and a
 * random vector always comes to one (an outlier's: see distrust), so a few free keys' searches
 * would otherwise take every core the lookups need. Past the limits a search is refused 503 with
 * Retry-After before it waits: a queue nobody can leave only makes every search slow.
 */
export class ExactTurns {
  private running = false;
  /** Waiting searches by account, the accounts in the order they take turns. */
  private readonly waiters = new Map<string, Array<() => void>>();
  private waitingCount = 0;

  constructor(private readonly limits: ExactTurnLimits = DEFAULT_EXACT_TURN_LIMITS) {}

  async run<T>(owner: string, scan: () => Promise<T>): Promise<T> {
    if (this.running) await this.turnOf(owner);
    else this.running = true;
    try {
      return await scan();
    } finally {
      this.next();
    }
  }

  /** Searches waiting now. */
  get waiting(): number {
    return this.waitingCount;
  }

  private turnOf(owner: string): Promise<void> {
    const queue = this.waiters.get(owner) ?? [];
    if (this.waitingCount >= this.limits.waiting || queue.length >= this.limits.perOwner) {
      throw new DomainError(
        "UNAVAILABLE",
        "Too many searches are waiting for an exact scan of every vector; retry in a second.",
        { retryAfterSeconds: 1 },
      );
    }
    this.waitingCount++;
    this.waiters.set(owner, queue);
    return new Promise((resolve) => queue.push(resolve));
  }

  /** The next account's first search goes; that account moves to the back of the line. */
  private next(): void {
    const [owner, queue] = this.waiters.entries().next().value ?? [];
    if (owner === undefined || !queue) {
      this.running = false;
      return;
    }
    const go = queue.shift() as () => void;
    this.waiters.delete(owner);
    if (queue.length > 0) this.waiters.set(owner, queue);
    this.waitingCount--;
    go();
  }
}
