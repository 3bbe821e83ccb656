import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CopyFormat, copyLine, copyStatement } from "../../src/corpus/copy-text";
import { FixedVector } from "../../src/corpus/embeddings";
import { type CopyType, copyBinary } from "../../src/db/copy-binary";
import { type Database, type EmbeddedDatabase, openDatabase } from "../../src/db/database";
import { IN_MEMORY } from "../../src/db/embedded";
import { createServerTestDatabase, openEmbeddedTestDatabase } from "../support/databases";

type Row = Record<string, unknown>;

const SCALARS = {
  id: "int4",
  name: "text",
  amount: "numeric",
  at: "timestamp",
  doc: "jsonb",
} satisfies Record<string, CopyType>;
const SCALAR_DDL = "id int, name varchar(500), amount numeric, at timestamp, doc jsonb";

/** Values at the edges of each encoder: what the text format stores is what binary must store. */
const scalarRows: Row[] = [
  { id: 1, name: "plain", amount: 0.873, at: "2024-03-01 12:34:56", doc: { a: 1 } },
  { id: -2147483648, name: "tab\tnew\nline \\ back", amount: -0.5, at: "1999-12-31 23:59:59", doc: [1, "x"] },
  { id: 2147483647, name: "ünïcödé 🎤 — “quotes”", amount: 0, at: "2000-01-01 00:00:00", doc: { s: "é\n" } },
  { id: 4, name: "", amount: 1e-7, at: "1970-01-01 00:00:00.5", doc: null },
  { id: 5, name: null, amount: 12345.6789, at: "2031-07-15 08:00:00.123456", doc: {} },
  { id: 6, name: "x", amount: -100000000.25, at: null, doc: { nested: { deep: [true, null, 1.5] } } },
  { id: 7, name: "y", amount: 10000, at: "2024-02-29 00:00:00", doc: { list: ["a string"] } },
  { id: 8, name: "z", amount: 0.0001, at: "2024-01-01 00:00:00", doc: 3 },
  { id: 9, name: "w", amount: 1.5e21, at: "2024-01-01 00:00:00", doc: false },
  { id: 10, name: "v", amount: null, at: "2024-01-01 00:00:00", doc: { n: -0.000123 } },
];

/**
 * Every component the corpus can write (VECTOR_DECIMALS decimals in [-1, 1]), in vectors of
 * pgvector's most dimensions: each must become the float4 the text input makes of its text.
 */
function everyComponent(): Row[] {
  const codes: number[] = [];
  for (let n = -FixedVector.SCALE; n <= FixedVector.SCALE; n++) codes.push(n);
  const rows: Row[] = [];
  for (let i = 0; i < codes.length; i += 16_000) {
    rows.push({ id: rows.length + 1, v: new FixedVector(Int32Array.from(codes.slice(i, i + 16_000))) });
  }
  return rows;
}

const text = (rows: Row[], columns: string[]) =>
  new TextEncoder().encode(rows.map((row) => copyLine(row, columns)).join(""));

function encoded(rows: Row[], types: Record<string, CopyType>, format: CopyFormat): Uint8Array<ArrayBuffer> {
  const columns = Object.keys(types);
  return format === "binary" ? copyBinary(rows, columns, types) : text(rows, columns);
}

const digest = (db: Database, table: string) =>
  db.sql.unsafe<{ digest: string; rows: number }[]>(
    `select md5(string_agg(t::text, E'\\n' order by t.id)) as digest, count(*)::int as rows from ${table} t`,
  );

describe("binary COPY stores what text COPY stores: embedded (PGlite, pgvector)", () => {
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await openEmbeddedTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  async function load(table: string, types: Record<string, CopyType>, rows: Row[], format: CopyFormat) {
    const statement = copyStatement(table, Object.keys(types), "'/dev/blob'", format);
    await db.sql.begin(() => db.copyFromBlob?.(statement, encoded(rows, types, format)));
  }

  it("scalars: ints at their limits, escapes and unicode, numerics with exponents, timestamps, json", async () => {
    for (const format of ["text", "binary"] as const) {
      await db.sql.unsafe(`create table scalars_${format} (${SCALAR_DDL})`);
      await load(`scalars_${format}`, SCALARS, scalarRows, format);
    }
    const [fromText] = await digest(db, "scalars_text");
    const [fromBinary] = await digest(db, "scalars_binary");
    expect(fromText?.rows).toBe(scalarRows.length);
    expect(fromBinary).toEqual(fromText);
    const [row] = await db.sql<
      { scale: number }[]
    >`select scale(amount) as scale from scalars_binary where id = 4`;
    expect(row?.scale).toBe(7);
  });

  it("vectors: every component the corpus can write becomes the same float4", async () => {
    const rows = everyComponent();
    const types = { id: "int4", v: "vector" } satisfies Record<string, CopyType>;
    for (const format of ["text", "binary"] as const) {
      await db.sql.unsafe(`create table vectors_${format} (id int, v vector)`);
      await load(`vectors_${format}`, types, rows, format);
    }
    const [fromText] = await digest(db, "vectors_text");
    const [fromBinary] = await digest(db, "vectors_binary");
    expect(fromText?.rows).toBe(rows.length);
    expect(fromBinary).toEqual(fromText);
  });
});

describe("binary COPY stores what text COPY stores: server PostgreSQL (COPY FROM STDIN)", () => {
  let server: { url: string; drop(): Promise<void> };
  let db: Database;
  beforeAll(async () => {
    server = await createServerTestDatabase();
    db = await openDatabase({ databaseUrl: server.url, dataDir: IN_MEMORY, requireVector: false });
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
  });

  it("scalars arrive the same in both formats", async () => {
    for (const format of ["text", "binary"] as const) {
      await db.sql.unsafe(`create table scalars_${format} (${SCALAR_DDL})`);
      const copy = await db.sql
        .unsafe(copyStatement(`scalars_${format}`, Object.keys(SCALARS), "stdin", format))
        .writable();
      await pipeline(Readable.from([encoded(scalarRows, SCALARS, format)]), copy);
    }
    const [fromText] = await digest(db, "scalars_text");
    const [fromBinary] = await digest(db, "scalars_binary");
    expect(fromText?.rows).toBe(scalarRows.length);
    expect(fromBinary).toEqual(fromText);
  });
});
