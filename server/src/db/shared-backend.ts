import type { WorkClass } from "./embedded-channel";

// How many times a waiting connection can be passed over by a better class before it goes next.
const MAX_PASSED = 3;

/** A client connection as the backend's queue sees it. */
export type Session = { work: WorkClass };

const RANK: Record<WorkClass, number> = { interactive: 0, bulk: 1 };

type Waiter = { session: Session; resolve: () => void; passed: number };

/**
 * PGlite has one backend, so connections share it as a transaction pooler would: a connection
 * holds the backend from its first message until PostgreSQL answers ReadyForQuery outside a
 * transaction. Not per message, as pglite-socket's own server queues them: an extended-protocol
 * batch (Parse, Bind, Execute, Sync) is outside any transaction between its messages, so two
 * connections' batches interleaved and one bound the other's unnamed statement (26000, or rows of
 * the wrong query: electric-sql/pglite#1046, #985, and the unmerged fix #977); every postgres.js
 * pool of more than one connection sends such batches at once. Waiting connections are served by work class, then in arrival order: a bulk
 * connection (application_name rapfs-bulk) waits while other classes wait, up to MAX_PASSED
 * handoffs.
 */
export class SharedBackend {
  private owner: Session | null = null;
  private readonly waiters: Waiter[] = [];

  /** Undefined when the session holds the backend now, else a promise of its turn. */
  acquire(session: Session): Promise<void> | undefined {
    if (this.owner === null) this.owner = session;
    if (this.owner === session) return undefined;
    return new Promise((resolve) => this.waiters.push({ session, resolve, passed: 0 }));
  }

  release(session: Session): void {
    if (this.owner !== session) return;
    const next = this.nextWaiter();
    this.owner = next?.session ?? null;
    next?.resolve();
  }

  holds(session: Session): boolean {
    return this.owner === session;
  }

  get held(): boolean {
    return this.owner !== null;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * The waiter of the best class, first come first served within it; but one passed over
   * MAX_PASSED times goes next, so a steady stream of interactive work (a server pool of ten
   * connections) cannot starve a download.
   */
  private nextWaiter(): Waiter | undefined {
    let best = this.waiters.findIndex((w) => w.passed >= MAX_PASSED);
    if (best < 0) {
      best = 0;
      this.waiters.forEach((waiter, i) => {
        if (RANK[waiter.session.work] < RANK[(this.waiters[best] as Waiter).session.work]) best = i;
      });
    }
    const [next] = this.waiters.splice(best, 1);
    for (const waiter of this.waiters) waiter.passed++;
    return next;
  }
}
