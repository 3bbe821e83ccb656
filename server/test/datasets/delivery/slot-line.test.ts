import { afterEach, describe, expect, it, vi } from "vitest";
import { SlotLine } from "../../../src/datasets/delivery/slot-line";

/** Slots as a count, taken by whoever `take` is called for; refused when none is free. */
function slots(free: number) {
  const state = { free, takenBy: [] as string[] };
  const take = (who: string) => () => {
    if (state.free === 0) throw new Error("no slot");
    state.free--;
    state.takenBy.push(who);
    return who;
  };
  return { state, take, admits: () => state.free > 0 };
}

describe("SlotLine", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("serves waiters in the order they came, skipping those whose owner cannot take one yet", async () => {
    const line = new SlotLine<string>({ waiting: 8, perOwner: 4, waitMs: 60_000 });
    const { state, take } = slots(0);
    const first = line.join("a", take("a1"));
    const second = line.join("b", take("b1"));
    const third = line.join("a", take("a2"));
    state.free = 2;
    // b holds its share: a's two go first, in order.
    line.serve((owner) => owner !== "b" && state.free > 0);
    expect(await first).toBe("a1");
    expect(await third).toBe("a2");
    expect(line.length).toBe(1);
    state.free = 1;
    line.serve(() => state.free > 0);
    expect(await second).toBe("b1");
    expect(state.takenBy).toEqual(["a1", "a2", "b1"]);
  });

  it("answers with what take gives once the wait is over: the slot if one is free, else its refusal", async () => {
    vi.useFakeTimers();
    const line = new SlotLine<string>({ waiting: 8, perOwner: 4, waitMs: 5_000 });
    const { state, take } = slots(0);
    const refused = line.join("a", take("a1"));
    const outcome = refused.catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(1_000);
    const served = line.join("a", take("a2"));
    await vi.advanceTimersByTimeAsync(3_999);
    expect(line.length).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBe("no slot");
    // A slot freed without a serve (none told the line): the wait's end takes it.
    state.free = 1;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await served).toBe("a2");
    expect(line.length).toBe(0);
  });

  it("lets a waiter whose client left go, answered 503, and keeps the others' places", async () => {
    const line = new SlotLine<string>({ waiting: 8, perOwner: 4, waitMs: 60_000 });
    const { state, take, admits } = slots(0);
    const gone = new AbortController();
    const left = line.join("a", take("a1"), gone.signal).catch((error: unknown) => error);
    const stays = line.join("a", take("a2"));
    gone.abort();
    expect(((await left) as Error).message).toMatch(/client went away while waiting/);
    expect(line.length).toBe(1);
    state.free = 1;
    line.serve(admits);
    expect(await stays).toBe("a2");
    // An already aborted signal never joins.
    await expect(line.join("a", take("a3"), gone.signal)).rejects.toThrow(/client went away/);
    expect(line.length).toBe(0);
  });

  it("answers at once, with take, past its bounds in all and per owner", async () => {
    const line = new SlotLine<string>({ waiting: 3, perOwner: 2, waitMs: 60_000 });
    const { take } = slots(0);
    const waiting = [line.join("a", take("a1")), line.join("a", take("a2"))];
    await expect(line.join("a", take("a3"))).rejects.toThrow("no slot");
    waiting.push(line.join("b", take("b1")));
    await expect(line.join("c", take("c1"))).rejects.toThrow("no slot");
    expect(line.length).toBe(3);
    for (const w of waiting) w.catch(() => {});
  });
});
