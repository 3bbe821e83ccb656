import { readdir, readFile } from "node:fs/promises";
import { getPriority } from "node:os";
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
import { BULK_NICE } from "../../../src/datasets/encode/bulk-thread";
import { encodeBatches } from "../../../src/datasets/encode/encode";
import { withTurns } from "../../support/turns";

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

const encode = async (input: AsyncIterable<RecordBatch>, rowGroupRows = BATCH * BATCHES) => {
  const chunks: Uint8Array[] = [];
  for await (const chunk of encodeBatches("parquet", schema, input, { rowGroupRows })) chunks.push(chunk);
  return Buffer.concat(chunks);
};

const rowsIn = (file: Uint8Array) => {
  const table = parquet.readParquet(file);
  const rows = table.recordBatches().reduce((n, b) => n + b.numRows, 0);
  table.free();
  return rows;
};

it("encodes Parquet off the main thread: it keeps taking turns while a batch is written", async () => {
  // Counted, not timed: each batch of 65,536 rows was written in one WebAssembly call on the main
  // thread (856 ms here), and no turn ran meanwhile.
  const { value: file, turns } = await withTurns(encode(batches()));
  expect(rowsIn(file)).toBe(BATCH * BATCHES);
  expect(turns).toBeGreaterThan(1_000);
}, 120_000);

it("fails the file when its input fails; an encoder left mid-file is not used again", async () => {
  async function* failing() {
    yield batch;
    throw new Error("the database went away");
  }
  await expect(encode(failing())).rejects.toThrow(/the database went away/);
  // An encoder left mid-file is not handed out again: the next file is whole.
  const reader = encodeBatches("parquet", schema, batches(), { rowGroupRows: BATCH })[Symbol.asyncIterator]();
  await reader.next();
  await reader.next();
  await reader.return?.();
  expect(rowsIn(await encode(batches(), BATCH))).toBe(BATCH * BATCHES);
}, 120_000);

/** The nice value of each thread of this process (Linux keeps one per thread). */
async function threadNices(): Promise<number[]> {
  const tasks = await readdir(`/proc/${process.pid}/task`);
  const nices = await Promise.all(
    tasks.map(async (task) => {
      const stat = await readFile(`/proc/${process.pid}/task/${task}/stat`, "utf8").catch(() => "");
      // After the command's closing parenthesis: state is field 3, nice field 19.
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    }),
  );
  return nices.filter(Number.isFinite);
}

it.runIf(process.platform === "linux")(
  "encodes on a thread of lower CPU priority, leaving the main thread's as it was",
  async () => {
    const reader = encodeBatches("parquet", schema, batches(), { rowGroupRows: BATCH })[
      Symbol.asyncIterator
    ]();
    await reader.next();
    const nices = await threadNices();
    await reader.return?.();
    expect(getPriority()).toBe(0);
    expect(nices).toContain(BULK_NICE);
    expect(nices.filter((n) => n === BULK_NICE).length).toBeLessThan(nices.length);
  },
  120_000,
);
