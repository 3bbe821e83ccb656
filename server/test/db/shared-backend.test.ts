import { describe, expect, it } from "vitest";
import { type Session, SharedBackend } from "../../src/db/shared-backend";

/** Sessions that each take the backend, note when their turn came, and give it back when told. */
function queue(backend: SharedBackend) {
  const served: string[] = [];
  const take = (name: string, work: Session["work"]): Session => {
    const session: Session = { work };
    const turn = backend.acquire(session);
    if (turn) turn.then(() => served.push(name));
    else served.push(name);
    return session;
  };
  const turns = () => new Promise((resolve) => setImmediate(resolve));
  return { served, take, turns };
}

describe("the embedded database's one backend, shared by work class", () => {
  it("an interactive waiter goes before bulk waiters, and a passed-over bulk one is not starved", async () => {
    const backend = new SharedBackend();
    const { served, take, turns } = queue(backend);
    let owner = take("first", "interactive");
    const bulk = take("bulk", "bulk");
    const lookups = ["a", "b", "c", "d"].map((name) => take(name, "interactive"));
    for (const next of [...lookups.slice(0, 3), bulk, lookups[3] as Session]) {
      backend.release(owner);
      await turns();
      owner = next;
    }
    backend.release(owner);
    expect(served).toEqual(["first", "a", "b", "c", "bulk", "d"]);
  });

  // Three processes' bulk pools share one database: two bulk connections both passed over three
  // times went one after the other while a lookup waited, and with six it waited behind six
  // slices.
  it("never two bulk holds in a row while interactive work waits", async () => {
    const backend = new SharedBackend();
    const { served, take, turns } = queue(backend);
    let owner = take("first", "interactive");
    const bulk = [take("bulk1", "bulk"), take("bulk2", "bulk")];
    const lookups = ["a", "b", "c"].map((name) => take(name, "interactive"));
    for (const next of lookups) {
      backend.release(owner);
      await turns();
      owner = next;
    }
    take("late", "interactive");
    backend.release(owner);
    await turns();
    expect(served.at(-1)).toBe("bulk1");
    backend.release(bulk[0] as Session);
    await turns();
    expect(served.at(-1)).toBe("late");
  });
});
