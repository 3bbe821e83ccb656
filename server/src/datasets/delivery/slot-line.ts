import { DomainError } from "../../errors";

export type SlotLineLimits = {
  /** Requests that may wait in this process, in all and per account. */
  waiting: number;
  perOwner: number;
  /** How long one waits for its turn before `take` answers it as it stands (the 503). */
  waitMs: number;
};

type Waiter<T> = {
  owner: string | undefined;
  take: () => T;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  leave: () => void;
};

/**
 * Requests waiting for a download slot, served in the order they came as slots come free. Without
 * it, whoever asked first after a slot came free took it: a client sending its next download the
 * moment its last one ended always did, and one that honoured Retry-After could lose every retry
 * (four clients of one account on its two slots: 30 retries in a row lost in CI). A request that
 * waits past `waitMs` gets the 503 as before, and one whose client leaves gives up its place.
 */
export class SlotLine<T> {
  private readonly waiters: Waiter<T>[] = [];

  constructor(private readonly limits: SlotLineLimits) {}

  get length(): number {
    return this.waiters.length;
  }

  /**
   * `take`'s value once it is this request's turn and `admits` its owner (`serve`), or what `take`
   * gives (a slot, or its 503) after `waitMs`. A full line answers with `take` at once.
   */
  join(owner: string | undefined, take: () => T, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(clientGone());
    const own = this.waiters.filter((w) => w.owner === owner).length;
    if (this.waiters.length >= this.limits.waiting || own >= this.limits.perOwner) {
      return new Promise((resolve) => resolve(take()));
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        leave();
        try {
          resolve(take());
        } catch (error) {
          reject(error);
        }
      }, this.limits.waitMs);
      timer.unref();
      const abandoned = () => {
        leave();
        reject(clientGone());
      };
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", abandoned);
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
      };
      const waiter: Waiter<T> = { owner, take, resolve, reject, leave };
      signal?.addEventListener("abort", abandoned, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Gives each waiter whose owner `admits` lets take a slot now its turn, first come first served. */
  serve(admits: (owner: string | undefined) => boolean): void {
    for (let i = 0; i < this.waiters.length; ) {
      const waiter = this.waiters[i] as Waiter<T>;
      if (!admits(waiter.owner)) {
        i++;
        continue;
      }
      waiter.leave();
      try {
        waiter.resolve(waiter.take());
      } catch (error) {
        waiter.reject(error);
      }
    }
  }
}

/** As a download whose every client left (Spool.follow): answered to nobody, logged as a 503. */
const clientGone = () =>
  new DomainError("UNAVAILABLE", "The client went away while waiting for a download slot.");
