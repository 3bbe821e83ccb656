import { Readable } from "node:stream";
import { type RecordBatch, Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arrowSchema } from "../../../src/datasets/encode/arrow";
import { copyBatches } from "../../../src/datasets/encode/copy-batches";
import { type ColumnKind, type OutputColumn, valueSql } from "../../../src/datasets/plan/columns";
import { copyOut } from "../../../src/datasets/snapshot/copy-out";
import { binaryCopy } from "../../../src/datasets/snapshot/copy-statement";
import type { Database } from "../../../src/db/database";
import { openEmbeddedTestDatabase } from "../../support/databases";
import { withTurns } from "../../support/turns";

/** Each case: a SQL literal per row, and what the Arrow column must read back (JS values). */
type Case = { name: string; kind: ColumnKind; dimension?: number; sql: string[]; expected: unknown[] };

const LONG = "x".repeat(1000);
const CASES: Case[] = [
  {
    name: "int",
    kind: "int",
    sql: ["0", "-1", "2147483647", "-2147483648", "null"],
    expected: [0, -1, 2147483647, -2147483648, null],
  },
  {
    name: "float",
    kind: "float",
    sql: ["0.1", "'-0'::float8", "1.7976931348623157e308", "'NaN'", "'-Infinity'"],
    expected: [0.1, -0, 1.7976931348623157e308, Number.NaN, Number.NEGATIVE_INFINITY],
  },
  {
    name: "numeric",
    kind: "float",
    sql: ["12.345::numeric", "null::numeric", "(-1e-7)::numeric", "5e-324::float8", "123456789012::numeric"],
    expected: [12.345, null, -1e-7, 5e-324, 123456789012],
  },
  {
    name: "bool",
    kind: "bool",
    sql: ["true", "false", "null", "true", "false"],
    expected: [true, false, null, true, false],
  },
  {
    name: "text",
    kind: "string",
    sql: ["''", "null", `E'tab\\there, "quoted"\\nnew line \\\\ back'`, "'ünïcödé 🎤 — ok'", `'${LONG}'`],
    expected: ["", null, 'tab\there, "quoted"\nnew line \\ back', "ünïcödé 🎤 — ok", LONG],
  },
  {
    name: "json",
    kind: "json",
    sql: [`'{"a": [1, 2]}'::jsonb`, "null::jsonb", `'"s"'::jsonb`, "'[]'::jsonb", `'{"é": null}'::jsonb`],
    expected: ['{"a": [1, 2]}', null, '"s"', "[]", '{"é": null}'],
  },
  {
    name: "timestamp",
    kind: "timestamp",
    sql: [
      "'2000-01-01 00:00:00'::timestamp",
      "'1969-12-31 23:59:59.999999'::timestamp",
      "'2100-06-15 12:34:56.789012'::timestamp",
      "null::timestamp",
      "'1900-01-01 00:00:00.000001'::timestamp",
    ],
    // Arrow JS reads Timestamp<MICROSECOND> as epoch milliseconds with a fraction.
    expected: [946684800000, -0.001, 4116746096789.012, null, -2208988799999.999],
  },
  {
    name: "text[]",
    kind: "string[]",
    sql: [
      "'{}'::text[]",
      `'{a,NULL,"b,c","d\\"e"}'::text[]`,
      "null::text[]",
      "'{{a,b},{c,d}}'::text[]",
      "array['']",
    ],
    expected: [[], ["a", null, "b,c", 'd"e'], null, ["a", "b", "c", "d"], [""]],
  },
  {
    name: "float8[]",
    kind: "float[]",
    sql: [
      "'{1.5,NULL,-2}'::float8[]",
      "'{}'::float8[]",
      "null::float8[]",
      "array[0.1::float8]",
      "array[1e300]::float8[]",
    ],
    expected: [[1.5, null, -2], [], null, [0.1], [1e300]],
  },
  {
    name: "vector",
    kind: "vector",
    dimension: 3,
    sql: [
      "'[1,2,3]'::vector",
      "null::vector",
      "'[0.1,-0.5,1e-8]'::vector",
      "'[0,0,0]'::vector",
      "'[3,2,1]'::vector",
    ],
    expected: [[1, 2, 3], null, [Math.fround(0.1), -0.5, Math.fround(1e-8)], [0, 0, 0], [3, 2, 1]],
  },
];

const columns: OutputColumn[] = CASES.map((c) => ({
  name: c.name,
  kind: c.kind,
  ...(c.dimension ? { dimension: c.dimension } : {}),
  description: "",
  source: "test",
}));
const rowCount = CASES[0]?.sql.length ?? 0;

/** One statement selecting every case's values, row by row, in the wire shapes valueSql gives. */
function statement(): string {
  const rows = Array.from({ length: rowCount }, (_, i) =>
    CASES.map((c, j) => `${valueSql(c.kind, `(${c.sql[i]})`)} as c${j}`).join(", "),
  );
  return rows.map((r, i) => `select ${i} as ord, ${r}`).join("\nunion all\n");
}

/** Columns as plain JS values (lists and vectors as arrays), read through an IPC round trip. */
function readBack(batches: RecordBatch[]): Record<string, unknown[]> {
  const table = tableFromIPC(tableToIPC(new Table(batches)));
  const plain = (v: unknown): unknown =>
    v !== null && typeof v === "object" && Symbol.iterator in v ? [...(v as Iterable<unknown>)] : (v ?? null);
  return Object.fromEntries(
    table.schema.fields.map((f) => [f.name, [...(table.getChild(f.name) ?? [])].map(plain)]),
  );
}

/** The whole binary COPY output of `text`, as bytes. */
async function copyBytes(db: Database, text: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await copyOut(db.sql, text)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function decode(chunks: Uint8Array[], batchRows = 1000): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  for await (const b of copyBatches(Readable.from(chunks), arrowSchema(columns), columns, batchRows))
    batches.push(b);
  return batches;
}

describe("binary COPY → Arrow columns, without a JS value per field", () => {
  let db: Database;
  let bytes: Buffer;

  beforeAll(async () => {
    db = await openEmbeddedTestDatabase({ migrate: false });
    await db.sql`create extension if not exists vector`;
    bytes = await copyBytes(
      db,
      binaryCopy({
        text: `select ${CASES.map((_, j) => `c${j}`).join(", ")} from (${statement()}) t order by ord`,
        params: [],
      }),
    );
  });
  afterAll(async () => {
    await db?.close();
  });

  it("every kind reads back exactly: NULLs, escapes, unicode, edge numbers, timestamps, lists, vectors", async () => {
    const read = readBack(await decode([bytes]));
    for (const c of CASES) {
      const got = read[c.name] as unknown[];
      c.expected.forEach((want, i) => {
        const value = got[i];
        if (typeof want === "number" && Number.isNaN(want)) expect(value, `${c.name}[${i}]`).toBeNaN();
        else if (c.kind === "timestamp" && typeof want === "number")
          expect(value as number, `${c.name}[${i}]`).toBeCloseTo(want, 6);
        else expect(value, `${c.name}[${i}]`).toEqual(want);
      });
    }
    expect(Object.is((read.float as number[])[1], -0)).toBe(true);
  });

  it("chunks cut anywhere (1 byte, odd sizes) give the same columns; batches split at batchRows", async () => {
    const whole = readBack(await decode([bytes]));
    const ones = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(readBack(await decode(ones))).toEqual(whole);
    const odd: Uint8Array[] = [];
    for (let at = 0, size = 3; at < bytes.length; at += size, size = (size * 7) % 61 || 5) {
      odd.push(bytes.subarray(at, at + size));
    }
    expect(readBack(await decode(odd))).toEqual(whole);
    const small = await decode(odd, 2);
    expect(small.map((b) => b.numRows)).toEqual([2, 2, 1]);
    expect(readBack(small)).toEqual(whole);
  });

  it("refuses truncated data, a wrong field count and a vector of the wrong dimension", async () => {
    await expect(decode([bytes.subarray(0, bytes.length - 1)])).rejects.toThrow(/ended early/);
    await expect(decode([Buffer.from("not copy data at all")])).rejects.toThrow(/not PostgreSQL binary COPY/);
    const narrow = await copyBytes(db, "copy (select 1::int4) to stdout (format binary)");
    await expect(decode([narrow])).rejects.toThrow(/1 fields, expected 10/);
    const wide = await copyBytes(db, "copy (select '[1,2]'::vector::real[]) to stdout (format binary)");
    const vector = columns.filter((c) => c.kind === "vector");
    const read = async () => {
      const batches: RecordBatch[] = [];
      for await (const b of copyBatches(Readable.from([wide]), arrowSchema(vector), vector, 10))
        batches.push(b);
      return batches;
    };
    await expect(read()).rejects.toThrow(/a vector of 2 values, expected 3/);
  });

  it("a consumer that stops early leaves the connection usable, and so does a large COPY read slowly", async () => {
    const big =
      "copy (select g::int4, repeat('y', 100) from generate_series(1, 50000) g) to stdout (format binary)";
    const two: OutputColumn[] = [
      { name: "g", kind: "int", description: "", source: "" },
      { name: "y", kind: "string", description: "", source: "" },
    ];
    for await (const batch of copyBatches(await copyOut(db.sql, big), arrowSchema(two), two, 100)) {
      expect(batch.numRows).toBeGreaterThan(0);
      break;
    }
    const [first] = await db.sql`select 1 as one`;
    expect(first?.one).toBe(1);
    let rows = 0;
    for await (const batch of copyBatches(await copyOut(db.sql, big), arrowSchema(two), two, 1000)) {
      rows += batch.numRows;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(rows).toBe(50000);
    const [second] = await db.sql`select 2 as two`;
    expect(second?.two).toBe(2);
  });
  it("bytes already buffered are parsed a slice of the event loop at a time, not in one block", async () => {
    // A server database sends a range faster than it is parsed; its chunks then wait in the
    // stream, and an async iterator hands them over without a turn of the event loop.
    const many = await copyBytes(
      db,
      "copy (select g::int4, repeat('z', 40) from generate_series(1, 100000) g) to stdout (format binary)",
    );
    const two: OutputColumn[] = [
      { name: "g", kind: "int", description: "", source: "" },
      { name: "z", kind: "string", description: "", source: "" },
    ];
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < many.length; at += 256) chunks.push(many.subarray(at, at + 256));
    const counted = async () => {
      let rows = 0;
      for await (const batch of copyBatches(Readable.from(chunks), arrowSchema(two), two, 8_192))
        rows += batch.numRows;
      return rows;
    };
    const { value: rows, turns } = await withTurns(counted());
    expect(rows).toBe(100_000);
    expect(turns).toBeGreaterThan(2);
  });
});
