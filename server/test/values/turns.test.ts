import { describe, expect, it } from "vitest";
import { slicedText } from "../../src/api/sliced-text";
import { encodeRows } from "../../src/datasets/encode/encode";
import type { OutputColumn } from "../../src/datasets/plan/columns";
import { bulkTurn } from "../../src/values/turns";

/** Counts turns of the event loop: one immediate, armed again on each turn. */
function turnCounter() {
  let turn = 0;
  let counting = true;
  const tick = () => {
    turn++;
    if (counting) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    now: () => turn,
    stop: () => {
      counting = false;
    },
  };
}

/** Reads every chunk of each stream at once; the turn each chunk arrived on, per stream. */
async function turnsOfChunks(streams: AsyncIterable<unknown>[]): Promise<number[][]> {
  const counter = turnCounter();
  try {
    return await Promise.all(
      streams.map(async (stream) => {
        const turns: number[] = [];
        for await (const _ of stream) turns.push(counter.now());
        return turns;
      }),
    );
  } finally {
    counter.stop();
  }
}

const shared = (a: number[], b: number[]) => a.filter((turn) => b.includes(turn));

describe("bulk work takes one slice a turn of the event loop, whoever asks", () => {
  it("four loops waiting at once get a turn each, in the order they asked", async () => {
    const counter = turnCounter();
    const slices: { loop: number; turn: number }[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (loop) => {
        for (let i = 0; i < 5; i++) {
          await bulkTurn();
          slices.push({ loop, turn: counter.now() });
        }
      }),
    );
    counter.stop();
    expect(new Set(slices.map((s) => s.turn)).size).toBe(20);
    expect(slices.map((s) => s.loop)).toEqual(Array.from({ length: 20 }, (_, i) => i % 4));
  });

  it("two sliced response bodies read at once never build their chunks on the same turn", async () => {
    const parts = (tag: string) => Array.from({ length: 40_000 }, (_, i) => `"${tag}${i}",`.repeat(4));
    const [a, b] = await turnsOfChunks([slicedText(parts("a")), slicedText(parts("b"))]);
    expect(a?.length).toBeGreaterThan(4);
    expect(b?.length).toBeGreaterThan(4);
    expect(shared(a ?? [], b ?? [])).toEqual([]);
  });

  it("two downloads' CSV encoded at once never encode on the same turn", async () => {
    const columns: OutputColumn[] = [
      { name: "track_id", kind: "int", description: "", source: "tracks.id" },
      { name: "sentiment", kind: "string", description: "", source: "v@1:sentiment" },
    ];
    async function* page() {
      yield Array.from({ length: 30_000 }, (_, i) => [i, `mood ${i}`]);
    }
    const [a, b] = await turnsOfChunks([
      encodeRows("csv", columns, page()),
      encodeRows("csv", columns, page()),
    ]);
    // The header is written before the first turn; every slice after it has a turn of its own.
    expect(shared(a?.slice(1) ?? [], b?.slice(1) ?? [])).toEqual([]);
    expect(a?.length).toBeGreaterThan(3);
  });
});
