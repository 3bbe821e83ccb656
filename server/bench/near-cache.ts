import { NearCache } from "../src/online/near-cache";
import type { OnlineRow } from "../src/online/types";
import type { BenchRow } from "./types";

const MAX_ROWS = 50_000;
// A 1,000-id batch of every track view: the widest read a free key may send each second.
const BATCH_ROWS = 8_000;
const BATCHES = 30;

/**
 * `pnpm bench near-cache`: the time to keep a wide batch's rows in a full near cache, batch after
 * batch, against a bare Map.set of the same rows. A full cache evicts one row per row kept; it
 * must cost the same at the 30th batch as at the first (its eviction once walked the Map from its
 * start every time, and each batch cost more than the last: 80 ms, then 320 ms by the 10th).
 */
export async function benchNearCache(): Promise<BenchRow[]> {
  const cache = new NearCache({ maxRows: MAX_ROWS });
  cache.enable();
  let next = 0;
  const fill = () => {
    const keys = Array.from({ length: BATCH_ROWS }, () => `rapfs:v@1:${next++}`);
    const token = cache.begin(keys);
    const started = performance.now();
    for (const key of keys) cache.keep(key, "v@1", rowOf(key), token, 0);
    return (performance.now() - started) / BATCH_ROWS;
  };
  while (cache.stats().rows < MAX_ROWS) fill();
  const perRow = Array.from({ length: BATCHES }, () => {
    // A bystander's hot rows, read between batches: they get their second chance.
    for (let i = 0; i < 100; i++) cache.get("v@1", String(next - 1 - i * 37), 0);
    return fill();
  });
  const map = new Map<string, OnlineRow>();
  const started = performance.now();
  for (let i = 0; i < BATCH_ROWS * BATCHES; i++) map.set(`rapfs:v@1:${i}`, rowOf(String(i)));
  const mapPerRow = (performance.now() - started) / (BATCH_ROWS * BATCHES);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const first = median(perRow.slice(0, 5));
  const last = median(perRow.slice(-5));
  const us = (ms: number) => ms * 1000;
  return [
    {
      workload: `near cache: a row kept into a full cache (${MAX_ROWS} rows, batches of ${BATCH_ROWS}), median of the last 5 of ${BATCHES} batches`,
      baseline: "the same row's Map.set",
      value: us(last),
      baselineValue: us(mapPerRow),
      unit: "µs",
      ratio: last / mapPerRow,
      target: "≤ 10× a Map.set, and the last batches ≤ 1.5× the first",
      met: last / mapPerRow <= 10 && last / first <= 1.5,
      notes: `first 5 batches' median ${us(first).toFixed(2)} µs a row; last against first ${(last / first).toFixed(2)}×`,
    },
  ];
}

const rowOf = (key: string): OnlineRow =>
  ({ id: key.slice(key.lastIndexOf(":") + 1), eventTimestamp: 0, values: {} }) as never;
