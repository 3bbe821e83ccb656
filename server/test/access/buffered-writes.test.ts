import { afterEach, describe, expect, it, vi } from "vitest";
import { BufferedWrites } from "../../src/access/buffered-writes";
import type { Logger } from "../../src/log/logger";

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
