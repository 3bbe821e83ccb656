import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Sql } from "../../src/db/database";
import { SOURCE_WRITES_LOCK } from "../../src/db/source-writes";
import { DomainError } from "../../src/errors";
import { checkBatch, ingestBatch } from "../../src/ingest";
import { createServerTestDatabase, openEmbeddedTestDatabase } from "../support/databases";
import { seedPlainCorpus } from "../support/plain-corpus";
import { corpusCounts, databaseNow, refusalOf, seedTracks, unitVector, utcMs } from "./support";

describe("ingestBatch on the embedded database", () => {
  let db: Database;
  let existing: number[];
  beforeAll(async () => {
    db = await openEmbeddedTestDatabase();
    existing = await seedTracks(db.sql, 3);
  });
  afterAll(() => db?.close());

  it("writes tracks and analyses in order, stamping rows without created_at with the database's clock", async () => {
    const before = await databaseNow(db.sql);
    const written = await ingestBatch(db.sql, {
      tracks: [
        { id: 500, title: "Given Id", artist: "Someone", lyrics_embedding: unitVector(384, 7) },
        { title: "Serial Id", artist: "Someone", spotify_data: { popularity: 40, genres: ["trap"] } },
      ],
      analyses: [
        { track_id: existing[0] as number, analyzer_type: "algorithmic", analysis_data: { word_count: 312 } },
        {
          track_id: 500,
          analyzer_type: "qwen-3-4b-fp8",
          sentiment: "positive",
          confidence: 0.875,
          created_at: "2025-01-02T03:04:05+02:00",
          analysis_embedding: unitVector(256, 3),
        },
      ],
    });
    const after = await databaseNow(db.sql);
    expect(written.tracks.ids[0]).toBe(500);
    expect(written.tracks.ids[1]).toBeGreaterThan(existing.at(-1) as number);
    expect(written.analyses.count).toBe(2);
    expect(written.analyses.createdAt[1]).toBe("2025-01-02T01:04:05.000000");
    for (const stamp of [...written.tracks.createdAt, written.analyses.createdAt[0] as string]) {
      expect(utcMs(stamp)).toBeGreaterThanOrEqual(Math.floor(before));
      expect(utcMs(stamp)).toBeLessThanOrEqual(Math.ceil(after));
    }
    const [qwen] = await db.sql<{ track_id: number; embedding: string; confidence: string }[]>`
      select track_id, analysis_embedding::text as embedding, confidence::text from analysis_results
      where id = ${written.analyses.ids[1] as number}`;
    expect(qwen).toEqual({
      track_id: 500,
      embedding: `[${unitVector(256, 3).join(",")}]`,
      confidence: "0.875",
    });
    const [track] = await db.sql<{ spotify: unknown }[]>`
      select spotify_data as spotify from tracks where id = ${written.tracks.ids[1] as number}`;
    expect(track?.spotify).toEqual({ popularity: 40, genres: ["trap"] });
  });

  it("moves the serial past a given id, so the next serial track does not collide with it", async () => {
    const { tracks } = await ingestBatch(db.sql, { tracks: [{ id: 900, title: "high" }, { title: "next" }] });
    const again = await ingestBatch(db.sql, { tracks: [{ title: "after" }] });
    expect(tracks.ids[0]).toBe(900);
    expect(again.tracks.ids[0]).toBeGreaterThan(900);
  });

  it("refuses a batch with a bad row whole, listing each problem, and writes nothing", async () => {
    const counts = await corpusCounts(db.sql);
    const batch = {
      tracks: [{ id: existing[0], title: "taken" }],
      analyses: [
        { track_id: existing[1], analyzer_type: "algorithmic" },
        { track_id: 424242, analyzer_type: "algorithmic" },
      ],
    };
    const refusal = await refusalOf(ingestBatch(db.sql, batch));
    expect(refusal.errors?.map((e) => e.pointer)).toEqual(["#/tracks/0/id", "#/analyses/1/track_id"]);
    expect(refusal.message).toContain("Nothing was written");
    await expect(checkBatch(db.sql, batch)).rejects.toThrow(DomainError);
    expect(await corpusCounts(db.sql)).toEqual(counts);
  });
});

describe("ingestBatch on server PostgreSQL (no pgvector)", () => {
  let database: Awaited<ReturnType<typeof createServerTestDatabase>>;
  let writer: Sql;
  let holder: Sql;
  beforeAll(async () => {
    database = await createServerTestDatabase();
    writer = postgres(database.url, { max: 2, onnotice: () => {} });
    holder = postgres(database.url, { max: 1, onnotice: () => {} });
    await seedPlainCorpus(writer, 5);
  });
  afterAll(async () => {
    await Promise.all([writer?.end(), holder?.end()]);
    await database?.drop();
  });

  it("waits for a materialization's exclusive hold of the source-writes lock, then stamps after it", async () => {
    let released = 0;
    let written: Promise<Awaited<ReturnType<typeof ingestBatch>>> | undefined;
    await holder.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext(${SOURCE_WRITES_LOCK}))`;
      written = ingestBatch(writer, { analyses: [{ track_id: 1, analyzer_type: "gemma-3-27b-it" }] });
      // The writer is queued behind the lock (a shared request against an exclusive hold).
      await expect.poll(() => waitingForLock(tx), { interval: 20, timeout: 10_000 }).toBe(1);
      released = await databaseNow(tx);
    });
    const result = await (written as Promise<Awaited<ReturnType<typeof ingestBatch>>>);
    expect(utcMs(result.analyses.createdAt[0] as string)).toBeGreaterThanOrEqual(Math.floor(released));
  });

  it("writes a batch sent on two connections at once under one key once: the second waits for the first", async () => {
    const batch = { analyses: [{ track_id: 3, analyzer_type: "gemma-3-27b-it" }] };
    const before = await corpusCounts(writer);
    let both: Promise<Awaited<ReturnType<typeof ingestBatch>>[]> | undefined;
    // Both queue behind an exclusive hold, then run at once when it ends.
    await holder.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext(${SOURCE_WRITES_LOCK}))`;
      both = Promise.all([1, 2].map(() => ingestBatch(writer, batch, { idempotencyKey: "server-race-1" })));
      await expect.poll(() => waitingForLock(tx), { interval: 20, timeout: 10_000 }).toBe(2);
    });
    const [a, b] = await (both as Promise<Awaited<ReturnType<typeof ingestBatch>>[]>);
    expect([a?.replayed, b?.replayed].sort()).toEqual([false, true]);
    expect(a?.analyses.ids).toEqual(b?.analyses.ids);
    expect(await corpusCounts(writer)).toEqual({ ...before, analyses: before.analyses + 1 });
  });

  it("refuses a vector for a column this database lacks, naming it", async () => {
    const refusal = await refusalOf(
      ingestBatch(writer, {
        analyses: [{ track_id: 2, analyzer_type: "qwen-3-4b-fp8", analysis_embedding: unitVector(256) }],
      }),
    );
    expect(refusal.errors).toEqual([
      expect.objectContaining({ pointer: "#/analyses/0/analysis_embedding", code: "no_column" }),
    ]);
  });
});

async function waitingForLock(sql: Sql | postgres.TransactionSql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`;
  return row?.n ?? 0;
}
