import { afterEach, describe, expect, it, vi } from "vitest";
import { BufferedWrites } from "../../src/access/buffered-writes";
import type { Logger } from "../../src/log/logger";
import { deferred } from "../support/deferred";

const sum = (pending: number | undefined, value: number) => (pending ?? 0) + value;

describe("BufferedWrites", () => {
  afterEach(() => vi.useRealTimers());

  it("merges values per key and writes them in one batch per flush", async () => {
    const batches: [string, number][][] = [];
    const writes = new BufferedWrites({
      intervalMs: 3_600_000,
      merge: sum,
      write: async (batch) => void batches.push([...batch]),
      failure: "could not write",
    });
    writes.add("a", 1);
    writes.add("b", 2);
    writes.add("a", 3);
    expect([...writes.pending]).toEqual([
      ["a", 4],
      ["b", 2],
    ]);
    await writes.flush();
    await writes.flush();
    expect(batches).toEqual([
      [
        ["a", 4],
        ["b", 2],
      ],
    ]);
    expect(writes.pending.size).toBe(0);
    await writes.close();
  });

  it("keeps a failed batch, merged with what came since, for the next flush, and warns", async () => {
    const warn = vi.fn();
    const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn, error: vi.fn(), child: () => logger };
    let fail = true;
    const written: [string, number][][] = [];
    const writes = new BufferedWrites({
      intervalMs: 3_600_000,
      merge: sum,
      write: async (batch) => {
        if (fail) throw new Error("database down");
        written.push([...batch]);
      },
      logger,
      failure: "could not write",
    });
    writes.add("a", 1);
    await writes.flush();
    expect(warn).toHaveBeenCalledWith("could not write", { error: "database down" });
    writes.add("a", 2);
    fail = false;
    await writes.close();
    expect(written).toEqual([[["a", 3]]]);
  });

  it("flushes on its interval", async () => {
    vi.useFakeTimers();
    const write = vi.fn(async () => {});
    const writes = new BufferedWrites({ intervalMs: 1_000, merge: sum, write, failure: "could not write" });
    writes.add("a", 1);
    await vi.advanceTimersByTimeAsync(999);
    expect(write).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(write).toHaveBeenCalledTimes(1);
    await writes.close();
  });
});

describe("BufferedWrites in flight", () => {
  it("shows a batch while it is written, hands it over in the turn it lands, and marks reads it overlapped", async () => {
    const { promise: landing, resolve: land } = deferred();
    const handed: [string, number][][] = [];
    const writes = new BufferedWrites({
      intervalMs: 3_600_000,
      merge: sum,
      write: () => landing,
      written: (batch) => void handed.push([...batch]),
      failure: "could not write",
    });
    const before = writes.mark();
    expect(writes.quietSince(before)).toBe(true);
    writes.add("a", 1);
    const flushed = writes.flush();
    expect([...writes.inFlight].map((batch) => [...batch])).toEqual([[["a", 1]]]);
    expect(writes.pending.size).toBe(0);
    // A read that began before the write, or while it was in flight, cannot know whether it saw it.
    expect(writes.quietSince(before)).toBe(false);
    const during = writes.mark();
    let idle = false;
    const waited = writes.idle().then(() => {
      idle = true;
    });
    land();
    await flushed;
    await waited;
    expect(idle).toBe(true);
    expect(handed).toEqual([[["a", 1]]]);
    expect([...writes.inFlight]).toEqual([]);
    expect(writes.quietSince(during)).toBe(false);
    expect(writes.quietSince(writes.mark())).toBe(true);
    await writes.close();
  });

  it("never merges a written batch back when its hand-over throws, and closes after a write in flight", async () => {
    const { promise: landing, resolve: land } = deferred();
    const written: [string, number][][] = [];
    const writes = new BufferedWrites({
      intervalMs: 3_600_000,
      merge: sum,
      write: async (batch) => {
        await landing;
        written.push([...batch]);
      },
      written: () => {
        throw new Error("a hand-over that fails");
      },
      failure: "could not write",
    });
    writes.add("a", 1);
    const inFlight = writes.flush().catch(() => {});
    let closed = false;
    const closing = writes.close().then(() => {
      closed = true;
    });
    await Promise.resolve();
    expect(closed).toBe(false);
    land();
    await closing;
    await inFlight;
    expect(written).toEqual([[["a", 1]]]);
    expect(writes.pending.size).toBe(0);
  });
});
