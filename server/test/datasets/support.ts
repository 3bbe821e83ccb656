import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { parse } from "csv-parse/sync";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import * as parquet from "parquet-wasm";
import { expect } from "vitest";
import { ProblemSchema } from "../../src/api/errors";
import { datasetRoutes } from "../../src/api/routes/datasets";
import { type DatasetConfig, loadDatasetConfig } from "../../src/datasets/config";
import { createDatasetServices, type DatasetServices } from "../../src/datasets/dataset-services";
import type { Database } from "../../src/db/database";
import { tierPace } from "../../src/runtime/compose";
import { createTestApp, type TestApp } from "../api/harness";
import { preparedDatabase } from "../support/prepared-data";

export const SEED = 7;

export type DatasetsHarness = TestApp & {
  db: Database;
  datasets: DatasetServices;
  /** A pro-tier key (room for many downloads) and a free-tier one (3 downloads a day). */
  keys: { pro: string; free: string };
  /** Another free-tier key of a new account. */
  freeKey(): Promise<string>;
  close(): Promise<void>;
};

/** PGlite with the scale-0.01 corpus (seed 7), the shipped definitions applied and materialized. */
export async function datasetsHarness(
  env: NodeJS.ProcessEnv = {},
  options: { maxBodyBytes?: number; settings?: Partial<DatasetConfig> } = {},
): Promise<DatasetsHarness> {
  const { settings, ...app } = options;
  const db = await preparedDatabase({ scale: 0.01, seed: SEED });
  const spoolParent = mkdtempSync(join(tmpdir(), "rapfs-datasets-test-"));
  const config = { ...loadDatasetConfig({ RAPFS_SPOOL_DIR: spoolParent, ...env }), ...settings };
  const test = createTestApp(db, {
    routes: datasetRoutes,
    // Paced as the server paces them: its tiers' bytes_per_second, counted in its metrics.
    datasets: ({ metrics, tiers }) => createDatasetServices({ config, pace: tierPace(tiers, metrics) }),
    accessEnv: env,
    ...app,
  });
  const { datasets } = test.services;
  const { accounts } = test.services.access;
  const pro = await accounts.signup({ email: `pro-${Date.now()}@example.com` });
  await accounts.setTier(pro.account.id, "pro");
  const free = await accounts.signup({ email: `free-${Date.now()}@example.com` });
  return {
    ...test,
    db,
    datasets,
    keys: { pro: pro.key.key, free: free.key.key },
    freeKey: async () => (await accounts.signup({ email: `free-${randomUUID()}@example.com` })).key.key,
    async close() {
      await datasets.close();
      await test.services.access.close?.();
      await db.close();
      rmSync(spoolParent, { recursive: true, force: true });
    },
  };
}

export async function get(h: DatasetsHarness, path: string, init: RequestInit & { key?: string } = {}) {
  const { key = h.keys.pro, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set("authorization", `Bearer ${key}`);
  return h.app.request(path, { ...rest, headers });
}

export async function bytes(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

/** A 4xx problem+json response, checked against the shared schema. */
export async function expectProblem(response: Response, status: number, code?: string) {
  expect(response.status, await response.clone().text()).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = ProblemSchema.parse(await response.json());
  if (code) expect(problem.code).toBe(code);
  return problem as typeof problem & Record<string, unknown>;
}

type Row = Record<string, unknown>;

/** parquet-wasm → Arrow JS: rows as plain objects (timestamps as epoch ms, lists as arrays). */
export function readParquetWasm(file: Uint8Array): {
  rows: Row[];
  schema: string[];
  metadata: Map<string, string>;
} {
  const table = tableFromIPC(parquet.readParquet(file).intoIPCStream());
  const metadata = parquet.ParquetFile ? new Map<string, string>() : new Map();
  return {
    rows: table.toArray().map((r) => plain(r.toJSON())),
    schema: table.schema.fields.map(String),
    metadata,
  };
}

export function readArrowIpc(file: Uint8Array): {
  rows: Row[];
  schema: string[];
  metadata: Map<string, string>;
} {
  const table = tableFromIPC(file);
  return {
    rows: table.toArray().map((r) => plain(r.toJSON())),
    schema: table.schema.fields.map(String),
    metadata: table.schema.metadata,
  };
}

/** hyparquet: an independent pure-JS Parquet reader (zstd through hyparquet-compressors). */
export async function readHyparquet(file: Uint8Array): Promise<Row[]> {
  const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  return (await parquetReadObjects({ file: buffer, compressors, utf8: true })) as Row[];
}

/** NDJSON: every line one JSON object, parsed on its own (a line that is not JSON fails). */
export function readNdjson(file: Uint8Array): Row[] {
  const text = Buffer.from(file).toString("utf8");
  if (text === "") return [];
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as Row);
}

/** csv-parse (RFC 4180): header row, values as text; an empty unquoted field is null. */
export function readCsv(file: Uint8Array): { header: string[]; rows: (string | null)[][] } {
  const records = parse(Buffer.from(file), {
    cast: (value, ctx) => (value === "" && !ctx.quoting ? null : value),
  }) as (string | null)[][];
  const [header, ...rows] = records;
  return { header: (header ?? []) as string[], rows };
}

function plain(value: unknown): Row {
  const convert = (v: unknown): unknown => {
    if (v === null || v === undefined) return null;
    if (typeof v === "bigint") return Number(v);
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    if (typeof v === "object" && v !== null && "toArray" in v)
      return convert((v as { toArray(): unknown }).toArray());
    if (Array.isArray(v)) return v.map(convert);
    return v;
  };
  return Object.fromEntries(Object.entries(value as Row).map(([k, v]) => [k, convert(v)]));
}
