import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { tableFromIPC } from "@uwdata/flechette";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/runtime/start-server";
import { startServing } from "./support";

// The full corpus's `public` (46,999 rows) holds more than the free tier's 10,000 rows a day. The
// same journey of a fresh free key, at a fifth of the cost: at scale 0.05 (the notebooks' corpus)
// `public` holds ~2,350 rows, against a free tier of 2,000 rows a day and its other limits as
// shipped (a 0.25 corpus took most of this file's 160 s on a clean CI run).
const SCALE = 0.05;
const FREE_ROWS = 2_000;

type Sums = { rows: number; keys: number; confidence: number };

describe("a fresh free key downloads the whole public dataset in every format", () => {
  let server: RunningServer;
  let work: string;
  let duck: Awaited<ReturnType<DuckDBInstance["connect"]>>;

  beforeAll(async () => {
    server = await startServing({
      scale: SCALE,
      env: { RAPFS_TIERS: JSON.stringify({ free: { rows: FREE_ROWS } }) },
    });
    work = mkdtempSync(join(tmpdir(), "rapfs-public-download-"));
    duck = await (await DuckDBInstance.create(":memory:")).connect();
  }, 600_000);
  afterAll(async () => {
    duck?.closeSync();
    await server?.shutdown("test done");
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const signup = async (email: string): Promise<string> => {
    const res = await fetch(`${server.url}/v1/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { account: { tier: string }; key: { key: string } };
    expect(body.account.tier).toBe("free");
    return body.key.key;
  };
  const as = (key: string, path: string) =>
    fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });

  /** Downloads into a file; returns its path and the rows the server said it holds. */
  const download = async (key: string, format: string) => {
    const res = await as(key, `/v1/datasets/public/download?format=${format}`);
    expect(
      res.status,
      await res
        .clone()
        .text()
        .catch(() => ""),
    ).toBe(200);
    const path = join(work, `public.${format}`);
    writeFileSync(path, new Uint8Array(await res.arrayBuffer()));
    // A shared file's first download streams as it is encoded, without Rapfs-Rows: when said, it is right.
    const rows = res.headers.get("rapfs-rows");
    return { path, rows: rows === null ? undefined : Number(rows) };
  };

  const sumsIn = async (from: string): Promise<Sums> => {
    const reader = await duck.runAndReadAll(
      `select count(*)::int as rows, sum(track_id)::bigint::int as keys,
              round(sum(qwen_analysis__confidence), 6)::double as confidence from ${from}`,
    );
    return reader.getRowObjectsJson()[0] as unknown as Sums;
  };
  const typesIn = async (from: string) => {
    const reader = await duck.runAndReadAll(`describe select * from ${from}`);
    return Object.fromEntries(
      reader.getRowObjectsJson().map((r) => [r.column_name as string, r.column_type as string]),
    );
  };

  let cardRows = 0;
  let reference: Sums;

  it("the card, read with the free key, counts more rows than the free tier's daily row quota", async () => {
    const key = await signup("researcher-card@example.com");
    const res = await as(key, "/v1/datasets/public");
    expect(res.status).toBe(200);
    const card = (await res.json()) as { rows: number; public: boolean; row_set: string };
    expect(card.public).toBe(true);
    expect(card.row_set).toMatch(/inner joins on track_id/);
    cardRows = card.rows;
    expect(cardRows).toBeGreaterThan(FREE_ROWS);
  });

  it("Parquet and CSV with one fresh key, read back by DuckDB", async () => {
    const key = await signup("researcher-a@example.com");
    const parquet = await download(key, "parquet");
    expect(parquet.rows ?? cardRows).toBe(cardRows);
    const parquetFrom = `read_parquet('${parquet.path}')`;
    reference = await sumsIn(parquetFrom);
    expect(reference.rows).toBe(cardRows);
    expect(await typesIn(parquetFrom)).toMatchObject({
      track_id: "INTEGER",
      qwen_analysis__confidence: "DOUBLE",
      qwen_analysis__themes: "VARCHAR[]",
    });

    const csv = await download(key, "csv");
    expect(csv.rows ?? cardRows).toBe(cardRows);
    expect(await sumsIn(`read_csv('${csv.path}', header = true)`)).toEqual(reference);

    // Its rows were never counted, nor its downloads (public's current files are shared by
    // everyone): only the bytes sent.
    const usage = (await (await as(key, "/v1/usage")).json()) as {
      windows: { policy: string; remaining: number; limit: number }[];
    };
    const window = (policy: string) => usage.windows.find((w) => w.policy === policy);
    expect(window("rows")?.remaining).toBe(FREE_ROWS);
    expect(window("downloads")?.remaining).toBe(3);
    expect(window("bytes")?.remaining).toBeLessThan(window("bytes")?.limit as number);
  });

  it("Arrow and NDJSON with another fresh key: Arrow by flechette, NDJSON line by line and by DuckDB", async () => {
    const key = await signup("researcher-b@example.com");
    const arrow = await download(key, "arrow");
    expect(arrow.rows ?? cardRows).toBe(cardRows);
    // DuckDB here has no Arrow IPC reader (its arrow extension is not bundled), and the server
    // writes with apache-arrow: flechette, an Arrow implementation of its own, reads the file.
    const table = tableFromIPC(readFileSync(arrow.path));
    expect(table.numRows).toBe(cardRows);
    let keys = 0;
    for (const id of table.getChild("track_id").toArray()) keys += Number(id);
    expect(keys).toBe(reference.keys);

    const json = await download(key, "json");
    expect(json.rows ?? cardRows).toBe(cardRows);
    const lines = readFileSync(json.path, "utf8").split("\n");
    expect(lines.pop()).toBe("");
    const rows = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(cardRows);
    expect(rows.reduce((sum, row) => sum + (row.track_id as number), 0)).toBe(reference.keys);
    expect(typeof rows[0]?.qwen_analysis__confidence).toBe("number");
    expect(Array.isArray(rows[0]?.qwen_analysis__themes)).toBe(true);
    expect(await sumsIn(`read_json('${json.path}', format = 'newline_delimited')`)).toEqual(reference);
  });

  it("a request that can never fit the free tier is refused for good, saying what would fit", async () => {
    const key = await signup("researcher-c@example.com");
    // Other features than the dataset's: not the public download, so every row counts.
    const res = await as(key, "/v1/datasets/public/download?format=csv&features=qwen_analysis:mood");
    expect(res.status).toBe(403);
    expect(res.headers.get("retry-after")).toBeNull();
    const problem = (await res.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({
      code: "EXCEEDS_QUOTA",
      policy: "rows",
      limit: FREE_ROWS,
      fits: { limit: FREE_ROWS, tiers: ["pro", "admin"] },
    });
    // Fewer joins than the dataset's own (only the views named and the filters'), so more rows.
    expect(problem.needed).toBeGreaterThanOrEqual(cardRows);
    expect(problem.detail).toMatch(new RegExp(`limit=${FREE_ROWS}\\b`));
    // What it says fits does.
    const fits = await as(
      key,
      `/v1/datasets/public/download?format=csv&features=qwen_analysis:mood&limit=${FREE_ROWS}`,
    );
    expect(fits.status).toBe(200);
    // Its rows surely fit the day's (at most its limit): answered before they are counted.
    const lines = (await fits.text()).trim().split("\n");
    expect(lines.length - 1).toBe(FREE_ROWS);
  });
});
