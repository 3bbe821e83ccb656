import type { WorkClass } from "./embedded-channel";

// How many times a waiting connection can be passed over by a better class before it goes next.
const MAX_PASSED = 3;

/** A client connection as the backend's queue sees it. */
export type Session = { work: WorkClass };

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
    const next = this.nextWaiter(session);
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
   * connections) cannot starve a download. Never two bulk holds in a row while interactive work
   * waits: with three processes' bulk pools on one database, a lookup otherwise waited behind
   * every bulk connection that had been passed over, one slice each.
   */
  private nextWaiter(previous: Session): Waiter | undefined {
    const firstInteractive = this.waiters.findIndex((w) => w.session.work === "interactive");
    let best = previous.work === "bulk" ? firstInteractive : -1;
    if (best < 0) best = this.waiters.findIndex((w) => w.passed >= MAX_PASSED);
    if (best < 0) best = Math.max(0, firstInteractive);
    const [next] = this.waiters.splice(best, 1);
    for (const waiter of this.waiters) waiter.passed++;
    return next;
  }
}
