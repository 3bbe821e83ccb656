import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LYRICS_DIMENSIONS } from "../../src/corpus/embeddings";
import { noProgress } from "../../src/log/progress";
import { type RunningServer, startServer } from "../../src/runtime/start-server";
import { capturingLogger, testConfig } from "../api/harness";
import { preparedDataDir } from "../support/prepared-data";

// The corpus the serving and dataset tests share (support/prepared-data.ts), built once per run.
const CORPUS = { scale: 0.01, seed: 7 };

/**
 * The embedded default searches source embeddings (lyrics, audio) from memory. New, deleted and
 * changed tracks reach those searches while the server runs, and after a restart that maps the
 * vectors back from the data directory.
 */
describe("in-memory search follows the tracks table", () => {
  let dataDir: string;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "rapfs-search-follows-"));
  });
  afterAll(async () => {
    await server?.shutdown("test done");
    await rm(dataDir, { recursive: true, force: true });
  });

  /** `firstStart`: the empty data directory takes a copy of the prepared corpus instead of generating one. */
  const start = async (firstStart = false) => {
    const { logger, lines } = capturingLogger();
    const base = testConfig();
    const config = {
      ...base,
      dataDir,
      host: "127.0.0.1",
      port: 0,
      corpus: CORPUS,
      freshness: { ...base.freshness, enabled: true, pollMs: 100 },
    };
    const loadDataDir = firstStart ? { loadDataDir: await preparedDataDir(CORPUS) } : {};
    const running = await startServer({
      config,
      logger,
      handleSignals: false,
      progress: noProgress,
      ...loadDataDir,
    });
    await running.prepared;
    await running.services.serving.embeddings.warm();
    return { running, lines };
  };

  /** A lyrics vector no generated track is near: a one in the last component. */
  const lonely = (hot: number) =>
    Array.from({ length: LYRICS_DIMENSIONS }, (_, i) => (i === hot ? 1 : i === 0 ? 0.001 : 0));

  async function nearest(running: RunningServer, vector: number[]): Promise<string | undefined> {
    const embeddings = running.services.serving.embeddings;
    const result = await embeddings.search(await embeddings.resolve("lyrics"), { vector, k: 1 });
    return result.neighbors[0]?.id;
  }

  /** The nearest track to `vector` once it is `expected` (bounded: 100 looks, 100 ms apart). */
  async function nearestBecomes(running: RunningServer, vector: number[], expected: string) {
    let found: string | undefined;
    for (let look = 0; look < 100; look++) {
      found = await nearest(running, vector);
      if (found === expected) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return found;
  }

  it("serves a new track's vector, forgets a deleted one, and keeps both across a restart", async () => {
    let current = await start(true);
    server = current.running;
    const sql = server.services.sql;
    expect(server.services.serving.embeddings.inMemory).toContain("lyrics@1");

    const vector = lonely(LYRICS_DIMENSIONS - 1);
    const before = await nearest(server, vector);
    const [added] = await sql<{ id: number }[]>`
      insert into tracks (title, artist, lyrics_embedding)
      values ('Far Away', 'Newcomer', ${`[${vector.join(",")}]`}::vector) returning id`;
    const addedId = String(added?.id);
    expect(await nearestBecomes(server, vector, addedId)).toBe(addedId);
    // An insert is read by the ids the change log noted, not by scanning the table.
    const caughtUp = () =>
      current.lines.filter((l) => l.msg === "in-memory search caught up" && l.embedding === "lyrics@1");
    expect(caughtUp().map((l) => l.from)).toEqual(["inserted ids"]);

    // A second new track, then the first one deleted: the search answers the second.
    const other = lonely(LYRICS_DIMENSIONS - 2);
    const [second] = await sql<{ id: number }[]>`
      insert into tracks (title, artist, lyrics_embedding)
      values ('Further', 'Newcomer', ${`[${other.join(",")}]`}::vector) returning id`;
    const secondId = String(second?.id);
    expect(await nearestBecomes(server, other, secondId)).toBe(secondId);
    await sql`delete from tracks where id = ${Number(addedId)}`;
    const afterDelete = await nearestBecomes(server, vector, before ?? "");
    expect(afterDelete).toBe(before);

    // An update moves a track: its new vector is searched, not its old one.
    await sql`update tracks set lyrics_embedding = ${`[${vector.join(",")}]`}::vector where id = ${Number(secondId)}`;
    expect(await nearestBecomes(server, vector, secondId)).toBe(secondId);
    // A delete or an update is not an insert: a scan of the rows written since, and a count.
    const reads = caughtUp().map((l) => l.from);
    expect(reads.slice(0, 2)).toEqual(["inserted ids", "inserted ids"]);
    expect(new Set(reads.slice(2))).toEqual(new Set(["scan"]));

    await server.shutdown("restart");
    server = undefined;
    current = await start();
    server = current.running;
    const loads = current.lines.filter((l) => l.msg === "embedding loaded for in-memory search");
    expect(loads.map((l) => l.from)).toContain("file");
    expect(await nearest(server, vector)).toBe(secondId);
    expect(await nearest(server, other)).not.toBe(secondId);

    // Written while the server was down: the mapped file catches up with it at start.
    await server.shutdown("restart");
    server = undefined;
    const offline = lonely(LYRICS_DIMENSIONS - 3);
    {
      const { openDatabase } = await import("../../src/db/database");
      const db = await openDatabase({ dataDir });
      const [row] = await db.sql<{ id: number }[]>`
        insert into tracks (title, artist, lyrics_embedding)
        values ('While Down', 'Newcomer', ${`[${offline.join(",")}]`}::vector) returning id`;
      await db.close();
      current = await start();
      server = current.running;
      expect(await nearestBecomes(server, offline, String(row?.id))).toBe(String(row?.id));
    }
  }, 180_000);
});
