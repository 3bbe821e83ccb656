import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Field,
  Float32,
  List,
  Table,
  tableFromArrays,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import * as parquet from "parquet-wasm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../../src/db/database";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../src/db/embedded";
import { embeddedDataDir } from "../support/databases";
import { corpusCounts, runRapfs, seedTracks, unitVector } from "./support";

let dir: string;
let dataDir: string;
let server: EmbeddedPostgres;
let sql: Sql;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rapfs-ingest-"));
  dataDir = join(dir, "data");
  // What `rapfs start` holds: the data directory's lock and its database's port; the CLI works through it.
  server = await startEmbeddedPostgres(dataDir, 0, await embeddedDataDir());
  sql = postgres(server.url, { max: 1, onnotice: () => {} });
  await seedTracks(sql, 20);
});
afterAll(async () => {
  await sql?.end();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ingest = (file: string, ...args: string[]) =>
  runRapfs(["ingest", file, ...args], { RAPFS_DATA_DIR: dataDir });

async function fixture(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe("rapfs ingest", () => {
  it("writes analyses from CSV, a multi-line cell and JSON included, stamping created_at", async () => {
    const file = await fixture(
      "analyses.csv",
      [
        "track_id,analyzer_type,sentiment,confidence,themes,analysis_data,created_at",
        `1,qwen-3-4b-fp8,positive,0.9,"[""money"",
""fame""]","{""mood"": ""hype""}",`,
        `2,algorithmic,,,,"{""word_count"": 300}",2025-01-01T00:00:00Z`,
        "",
      ].join("\n"),
    );
    const run = await ingest(file, "--batch", "1");
    expect(run.stderr).toContain("working through its database");
    expect([run.code, run.stdout]).toEqual([0, expect.stringContaining("wrote 2 analyses")]);
    const rows = await sql<{ themes: string; data: unknown; stamped: boolean }[]>`
      select themes, analysis_data as data, created_at > now() at time zone 'UTC' - interval '1 minute' as stamped
      from analysis_results order by id`;
    expect(rows).toEqual([
      { themes: '["money",\n"fame"]', data: { mood: "hype" }, stamped: true },
      { themes: null, data: { word_count: 300 }, stamped: false },
    ]);
  });

  it("writes tracks from NDJSON with --tracks, a given id kept", async () => {
    const file = await fixture(
      "tracks.ndjson",
      [
        JSON.stringify({ id: 700, title: "Given", artist: "Someone", audio_embedding: unitVector(128, 2) }),
        "",
        JSON.stringify({ title: "Serial", artist: "Someone", spotify_data: { popularity: 12 } }),
      ].join("\n"),
    );
    const run = await ingest(file, "--tracks");
    expect([run.code, run.stdout]).toEqual([0, expect.stringContaining("wrote 2 tracks")]);
    const [given] = await sql<{ title: string }[]>`select title from tracks where id = 700`;
    expect(given?.title).toBe("Given");
  });

  it("runs a file again without writing it twice, and writes only the batches an interrupted run did not", async () => {
    const tracks = [7101, 7102, 7103, 7104, 7105].map((id) => JSON.stringify({ id, title: `Resume ${id}` }));
    const file = await fixture("resume.ndjson", `${tracks.join("\n")}\n`);
    const run = () => ingest(file, "--tracks", "--batch", "2");
    const first = await run();
    expect([first.code, first.stdout]).toEqual([0, expect.stringContaining("wrote 5 tracks")]);
    const counts = await corpusCounts(sql);
    // Again: every batch is known by its key, so its given ids (taken now, by its own rows) pass.
    const again = await run();
    expect([again.code, again.stderr]).toEqual([0, expect.any(String)]);
    expect(again.stdout).toContain("wrote 0 tracks");
    expect(again.stdout).toContain("skipped 5 tracks an earlier run of this file wrote");
    expect(await corpusCounts(sql)).toEqual(counts);
    // What an interrupted run leaves: its last batch never committed, rows and key alike.
    await sql`delete from tracks where id = 7105`;
    await sql`
      delete from rapfs_ingest_batches where idempotency_key = (
        select idempotency_key from rapfs_ingest_batches where idempotency_key like 'rapfs-rows:tracks:%'
        order by created_at desc limit 1)`;
    const resumed = await run();
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("wrote 1 track (id 7105)");
    expect(resumed.stdout).toContain("skipped 4 tracks");
    expect(await corpusCounts(sql)).toEqual(counts);
    // --no-resume writes every batch as new: refused, since the file's given ids are taken.
    const anew = await ingest(file, "--tracks", "--batch", "2", "--no-resume");
    expect(anew.code).not.toBe(0);
    expect(anew.stderr).toContain("nothing was written");
    expect(await corpusCounts(sql)).toEqual(counts);
  });

  it("writes only the rows appended to a file since it was ingested, days later too", async () => {
    const line = (i: number) => `${i + 1},algorithmic,"{""word_count"":${100 + i}}"`;
    const csv = (n: number) =>
      `${["track_id,analyzer_type,analysis_data", ...Array.from({ length: n }, (_, i) => line(i))].join("\n")}\n`;
    const file = await fixture("daily.csv", csv(3));
    const before = await corpusCounts(sql);
    expect((await ingest(file, "--batch", "2")).stdout).toContain("wrote 3 analyses");
    // The next day: the file grew by two rows (one in the batch of the last run's last row).
    await sql`update rapfs_ingest_batches set created_at = created_at - interval '2 days'
              where idempotency_key like 'rapfs-rows:%'`;
    await writeFile(file, csv(5));
    const grown = await ingest(file, "--batch", "2");
    expect([grown.code, grown.stderr]).toEqual([0, expect.any(String)]);
    expect(grown.stdout).toContain("wrote 2 analyses");
    expect(grown.stdout).toContain("skipped 3 analyses");
    expect((await corpusCounts(sql)).analyses).toBe(before.analyses + 5);
  });

  it("writes analyses from Parquet, vectors as lists of float32", async () => {
    const table = new Table({
      track_id: vectorFromArray(Int32Array.from([3, 4])),
      analyzer_type: vectorFromArray(["qwen-3-4b-fp8", "emotion-distilroberta"], new Utf8()),
      confidence: vectorFromArray(Float64Array.from([0.5, 0.25])),
      analysis_data: vectorFromArray(['{"mood":"dark"}', '{"joy":0.25}'], new Utf8()),
      analysis_embedding: vectorFromArray(
        [unitVector(256, 5), null],
        new List(new Field("item", new Float32(), true)),
      ),
    });
    const file = await fixture(
      "analyses.parquet",
      parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, "stream"))),
    );
    const before = await corpusCounts(sql);
    const run = await ingest(file);
    expect([run.code, run.stderr]).toEqual([0, expect.any(String)]);
    expect((await corpusCounts(sql)).analyses).toBe(before.analyses + 2);
    const [qwen] = await sql<{ embedding: string; data: unknown }[]>`
      select analysis_embedding::text as embedding, analysis_data as data from analysis_results
      where track_id = 3 and analyzer_type = 'qwen-3-4b-fp8'`;
    expect(qwen).toEqual({ embedding: `[${unitVector(256, 5).join(",")}]`, data: { mood: "dark" } });
  });

  it("names each bad row by its line, exits non-zero and writes nothing", async () => {
    const file = await fixture(
      "bad.csv",
      [
        "track_id,analyzer_type,themes,analysis_data",
        `1,algorithmic,"a
b",`,
        "99999,algorithmic,,",
        '2,gpt-5,,"{not json"',
        "3,simplified_features,,",
      ].join("\n"),
    );
    const before = await corpusCounts(sql);
    const run = await ingest(file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}: 2 bad rows, nothing was written:`);
    expect(run.stderr).toContain(`${file}:4: track_id: track 99999 does not exist`);
    expect(run.stderr).toContain(`${file}:5: analysis_data: is not valid JSON`);
    expect(run.stderr).toContain(`${file}:5: analyzer_type: must be one of`);
    expect(await corpusCounts(sql)).toEqual(before);
  });

  it("points at a line of NDJSON that is not JSON, and at a Parquet row", async () => {
    const file = await fixture("bad.jsonl", `{"track_id": 1, "analyzer_type": "algorithmic"}\n{oops\n`);
    const run = await ingest(file);
    expect([run.code, run.stderr]).toEqual([1, expect.stringContaining(`${file}:2: is not valid JSON`)]);
    const table = tableFromArrays({
      track_id: Int32Array.from([1, 2]),
      analyzer_type: ["algorithmic", "nope"],
    });
    const parquetFile = await fixture(
      "bad.parquet",
      parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, "stream"))),
    );
    const bad = await ingest(parquetFile);
    expect([bad.code, bad.stderr]).toEqual([
      1,
      expect.stringContaining(`${parquetFile} row 2: analyzer_type:`),
    ]);
  });

  it("refuses an unknown extension without --format, as a usage error", async () => {
    const file = await fixture("rows.txt", "track_id\n1\n");
    const run = await ingest(file);
    expect([run.code, run.stderr]).toEqual([2, expect.stringContaining("pass --format")]);
  });
});
