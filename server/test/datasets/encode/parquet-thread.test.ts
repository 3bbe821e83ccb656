import {
  Field,
  Float64,
  Int32,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import * as parquet from "parquet-wasm";
import { expect, it } from "vitest";
import { encodeBatches } from "../../../src/datasets/encode/encode";

const BATCH = 65_536;
const BATCHES = 2;
const NUMBERS = 28;
const TEXTS = 6;
const LISTS = 2;
const listOf = () => new List(new Field("item", new Utf8(), true));
// About public's shape: numbers with nulls, labels of many values, lists of labels.
const fields = [
  new Field("id", new Int32(), false),
  ...Array.from({ length: NUMBERS }, (_, c) => new Field(`number${c}`, new Float64(), true)),
  ...Array.from({ length: TEXTS }, (_, c) => new Field(`text${c}`, new Utf8(), true)),
  ...Array.from({ length: LISTS }, (_, c) => new Field(`themes${c}`, listOf(), true)),
];
const schema = new Schema(fields);

// One batch, made before the clock starts and sent BATCHES times.
const batch = (() => {
  const columns = [
    vectorFromArray(Int32Array.from({ length: BATCH }, (_, i) => i)).data[0],
    ...Array.from(
      { length: NUMBERS },
      (_, c) =>
        vectorFromArray(
          Array.from({ length: BATCH }, (_, i) => (i % 11 === c % 11 ? null : Math.sin(i * (c + 1)) * 1e6)),
          new Float64(),
        ).data[0],
    ),
    ...Array.from(
      { length: TEXTS },
      (_, c) =>
        vectorFromArray(
          Array.from({ length: BATCH }, (_, i) => `artist ${(i * (c + 3)) % 9_973} of the corpus`),
          new Utf8(),
        ).data[0],
    ),
    ...Array.from(
      { length: LISTS },
      (_, c) =>
        vectorFromArray(
          Array.from({ length: BATCH }, (_, i) => [`theme ${i % 40}`, `mood ${(i * c) % 17}`, `topic ${i}`]),
          listOf(),
        ).data[0],
    ),
  ];
  const data = makeData({
    type: new Struct(fields),
    length: BATCH,
    nullCount: 0,
    children: columns as never,
  });
  return new RecordBatch(schema, data);
})();

async function* batches() {
  for (let i = 0; i < BATCHES; i++) {
    yield batch;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

it("encodes a Parquet row group off the main thread: the event loop is never held for it", async () => {
  // The encoder thread started once, as a server's first Parquet download starts it.
  for await (const _ of encodeBatches("parquet", schema, batches(), { rowGroupRows: BATCH * BATCHES })) break;
  // The longest the event loop went without running a 5 ms timer.
  let longest = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  const chunks: Uint8Array[] = [];
  for await (const chunk of encodeBatches("parquet", schema, batches(), { rowGroupRows: BATCH * BATCHES }))
    chunks.push(chunk);
  clearInterval(ticker);
  longest = Math.max(longest, performance.now() - last);
  // Each batch of 65,536 rows was written in one WebAssembly call on the main thread: 856 ms here.
  expect(longest).toBeLessThan(250);
  const table = parquet.readParquet(Buffer.concat(chunks));
  const rows = table.recordBatches().reduce((n, b) => n + b.numRows, 0);
  table.free();
  expect(rows).toBe(BATCH * BATCHES);
}, 120_000);
