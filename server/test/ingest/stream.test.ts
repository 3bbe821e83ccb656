import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerIngestAnalyses } from "../../src/api/routes/ingest/analyses";
import { corpusPlan } from "../../src/corpus";
import type { Database, Sql } from "../../src/db/database";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../src/db/embedded";
import { STREAM_ANALYZERS, streamAnalyses } from "../../src/ingest";
import { type AccessApp, startAccessApp } from "../access-http/app";
import { embeddedDataDir, openEmbeddedTestDatabase } from "../support/databases";
import { corpusCounts, runRapfs, seedTracks } from "./support";

const CORPUS = { scale: 0.01, seed: 42 };
const CORPUS_ENV = { RAPFS_CORPUS_SCALE: String(CORPUS.scale), RAPFS_CORPUS_SEED: String(CORPUS.seed) };
const TRACKS = corpusPlan(CORPUS.scale).tracks;

describe("streamAnalyses, in-process", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openEmbeddedTestDatabase();
    await seedTracks(db.sql, TRACKS);
  });
  afterAll(() => db?.close());

  it("writes rate × duration re-runs by the stream's analyzers, with each insert's times and ids", async () => {
    const batches: number[] = [];
    const report = await streamAnalyses({
      sql: db.sql,
      rate: 20,
      durationMs: 1_000,
      corpus: CORPUS,
      seed: 7,
      onBatch: (insert) => batches.push(insert.ids.length),
    });
    expect(report.rows).toBe(20);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(20);
    const ids = report.inserts.flatMap((i) => i.ids);
    expect(new Set(ids).size).toBe(20);
    for (const insert of report.inserts) {
      expect(insert.committedAt).toBeGreaterThanOrEqual(insert.startedAt);
      expect(insert.createdAt).toHaveLength(insert.ids.length);
    }
    const rows = await db.sql<{ analyzer: string; version: string; track: number; data: unknown }[]>`
      select analyzer_type as analyzer, model_version as version, track_id as track, analysis_data as data
      from analysis_results where id = any(${ids}::int[])`;
    expect(rows).toHaveLength(20);
    for (const row of rows) {
      expect(STREAM_ANALYZERS).toContain(row.analyzer);
      expect(row.version).toMatch(/@2\.0$/);
      expect(row.track).toBeLessThanOrEqual(TRACKS);
      expect(row.data).toEqual(expect.any(Object));
    }
  });

  it("runs until its signal aborts when given no duration", async () => {
    const stop = new AbortController();
    const report = await streamAnalyses({
      sql: db.sql,
      rate: 10,
      signal: stop.signal,
      corpus: CORPUS,
      onBatch: () => stop.abort(),
    });
    expect(report.inserts).toHaveLength(1);
    expect(report.rows).toBe(report.inserts[0]?.ids.length);
  });
});

describe("rapfs corpus stream", () => {
  let dir: string;
  let server: EmbeddedPostgres;
  let sql: Sql;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rapfs-stream-"));
    server = await startEmbeddedPostgres(dir, 0, await embeddedDataDir());
    sql = postgres(server.url, { max: 1, onnotice: () => {} });
    await seedTracks(sql, TRACKS);
  });
  afterAll(async () => {
    await sql?.end();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("streams at --rate for --duration through the running server's database, reporting the rate", async () => {
    const run = await runRapfs(["corpus", "stream", "--rate", "10", "--duration", "2s"], {
      RAPFS_DATA_DIR: dir,
      ...CORPUS_ENV,
    });
    expect([run.code, run.stderr]).toEqual([0, expect.stringContaining("working through its database")]);
    expect(run.stdout).toContain("streaming 10 analyses/s into the embedded database for 2 s");
    expect(run.stdout).toMatch(/done: 20 analyses in 2\.0 s \(10\.0\/s\)/);
    expect((await corpusCounts(sql)).analyses).toBe(20);
  });

  it("streams until Ctrl-C without --duration, then reports what it wrote", async () => {
    const before = (await corpusCounts(sql)).analyses;
    const run = await runRapfs(
      ["corpus", "stream", "--rate", "20"],
      { RAPFS_DATA_DIR: dir, ...CORPUS_ENV },
      { on: /until Ctrl-C/, afterMs: 1_000 },
    );
    expect([run.code, run.stdout]).toEqual([0, expect.stringMatching(/done: \d+ analyses/)]);
    const written = Number(/done: (\d+) analyses/.exec(run.stdout)?.[1]);
    expect(written).toBeGreaterThan(0);
    expect((await corpusCounts(sql)).analyses).toBe(before + written);
  });

  it("refuses a rate that is not a positive number", async () => {
    const run = await runRapfs(["corpus", "stream", "--rate", "fast"], { RAPFS_DATA_DIR: dir });
    expect([run.code, run.stderr]).toEqual([2, expect.stringContaining("--rate must be")]);
  });
});

describe("rapfs corpus stream --url", () => {
  let t: AccessApp;
  let http: ServerType;
  let url: string;
  beforeAll(async () => {
    t = await startAccessApp({ routes: [registerIngestAnalyses] });
    await seedTracks(t.db.sql, TRACKS);
    http = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((resolve) => http.once("listening", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => http?.close(resolve));
    await t?.close();
  });

  it("writes through a server's door with an admin key", async () => {
    const run = await runRapfs(
      ["corpus", "stream", "--url", url, "--key", t.adminKey, "--rate", "5", "--duration", "1s"],
      CORPUS_ENV,
    );
    expect([run.code, run.stdout]).toEqual([0, expect.stringContaining("done: 5 analyses")]);
    expect((await corpusCounts(t.db.sql)).analyses).toBe(5);
  });

  it("says why when the key may not write", async () => {
    const { key } = await t.signup("stream-not-admin@example.com");
    const run = await runRapfs(
      ["corpus", "stream", "--url", url, "--key", key, "--duration", "1s"],
      CORPUS_ENV,
    );
    expect([run.code, run.stderr]).toEqual([1, expect.stringContaining("403")]);
  });
});
