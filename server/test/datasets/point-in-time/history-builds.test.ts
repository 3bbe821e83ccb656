import { afterEach, describe, expect, it } from "vitest";
import { planTraining, standalonePlanSource } from "../../../src/datasets/plan/dataset-plan";
import { storedHistory } from "../../../src/datasets/point-in-time/stored-history";
import type { Database, Sql } from "../../../src/db/database";
import { keepHistories, materializeAll } from "../../../src/materialize/runner";
import { pruneSourceChanges } from "../../../src/materialize/source-changes";
import { listTargets } from "../../../src/materialize/target";
import { ARTIST_FEATURES, ARTIST_VIEW_TABLE, artistValues, fromCorpus } from "../../support/artist-history";
import { countingClient } from "../../support/counted-sql";
import { preparedDatabase } from "../../support/prepared-data";
import { SEED } from "../support";

const BUILDING = /^insert into "rapfs_history_fv_artist_stats_v1_next"/;
/** Exact decimals: a float average summed in another order differs in its last digits. */
const EXACT = "artist, as_of, track_count, avg_quality::numeric(20, 10), positive_share::numeric(20, 10)";

/** `sql` whose first statement matching `pattern` runs `meanwhile` once it has run. */
function pausedAt(sql: Sql, pattern: RegExp, meanwhile: () => Promise<void>): Sql {
  let done = false;
  return new Proxy(sql, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== "unsafe") return value;
      return (text: string, ...args: unknown[]) => {
        const query = (value as (...a: unknown[]) => Promise<unknown>).call(target, text, ...args);
        if (done || !pattern.test(text)) return query;
        done = true;
        return query.then(async (result) => {
          await meanwhile();
          return result;
        });
      };
    },
  }) as Sql;
}

describe("a whole build of an artist history: its changes kept from pruning, one builder at a time", () => {
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it("an analysis written during the first build, its change pruned by another's runs: the training set still reads the corpus's values", async () => {
    db = await preparedDatabase({ scale: 0.01, seed: SEED });
    const { sql } = db;
    const [first] = await sql<{ artist: string }[]>`
      select min(artist) as artist from tracks where artist is not null`;
    const artist = first?.artist as string;
    const tracks = (
      await sql<{ id: number }[]>`select id from tracks where artist = ${artist} order by id`
    ).map((t) => t.id);
    // Another process's writes and runs (a CLI through the server's port) while the first build fills.
    const other = countingClient(sql, () => {});
    const bulk = pausedAt(db.bulk, BUILDING, async () => {
      await other`
        insert into analysis_results (track_id, analyzer_type, sentiment, confidence, analysis_data, created_at, model_version)
        select id, 'qwen-3-4b-fp8', 'negative', 0.5, ${other.json({ quality_score: 0.02 })}, '2026-01-02', 'mid-build'
        from tracks where artist = ${artist}`;
      await materializeAll(other);
      await pruneSourceChanges(other, await listTargets(other));
    });
    try {
      expect(await keepHistories({ runs: sql, bulk })).toEqual(["artist_stats@1"]);
    } finally {
      await other.end();
    }
    expect(await storedHistory(sql, ARTIST_VIEW_TABLE)).toBeDefined();
    const [left] = await sql<{ n: number }[]>`select count(*)::int as n from rapfs_source_changes`;
    expect(left?.n, "the change the build did not see is still there").toBeGreaterThan(0);

    const plan = await planTraining(standalonePlanSource(sql), {
      entity: "track",
      features: ARTIST_FEATURES,
    });
    const late = Date.parse("2026-06-01T00:00:00Z") * 1000;
    const ids = Array.from({ length: 30 }, (_, i) => tracks[i % tracks.length] as number);
    const rows = { ids, asOf: ids.map((_, i) => late + i * 1_000_000) };
    const served = (await artistValues(sql, plan, rows, EXACT)).values;
    const computed = (await fromCorpus(sql, plan, rows, EXACT)).values;
    expect(computed.length).toBeGreaterThan(0);
    expect(served).toEqual(computed);
  });

  it("while another build holds the lease none starts; a failed build gives the lease back", async () => {
    db = await preparedDatabase({ scale: 0.01, seed: SEED });
    const { sql } = db;
    await sql`
      insert into rapfs_history_builds (view_table, snapshot) values (${ARTIST_VIEW_TABLE}, pg_current_snapshot()::text)`;
    await keepHistories({ runs: sql, bulk: db.bulk });
    expect(await storedHistory(sql, ARTIST_VIEW_TABLE), "another builder holds it").toBeUndefined();
    const [next] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_tables where tablename = 'rapfs_history_fv_artist_stats_v1_next'`;
    expect(next?.n, "and its table is left alone").toBe(0);

    // A lease a crash left behind expires.
    await sql`update rapfs_history_builds set started_at = now() - interval '2 hours'`;
    const failing = pausedAt(db.bulk, BUILDING, async () => {
      throw new Error("cut off mid-build");
    });
    await expect(keepHistories({ runs: sql, bulk: failing })).rejects.toThrow("cut off mid-build");
    const [leases] = await sql<{ n: number }[]>`select count(*)::int as n from rapfs_history_builds`;
    expect(leases?.n, "the failed build's lease is given back").toBe(0);

    await keepHistories({ runs: sql, bulk: db.bulk });
    expect(await storedHistory(sql, ARTIST_VIEW_TABLE)).toBeDefined();
    const [after] = await sql<{ n: number }[]>`select count(*)::int as n from rapfs_history_builds`;
    expect(after?.n, "a finished build's lease is gone with it").toBe(0);
  });
  it("an embedded run never builds it whole (it holds the view's readers off): the next keepHistories does", async () => {
    db = await preparedDatabase({ scale: 0.01, seed: SEED });
    const { sql } = db;
    await keepHistories({ runs: sql, bulk: db.bulk });
    const before = await storedHistory(sql, ARTIST_VIEW_TABLE);
    await sql`update rapfs_stored_histories set build_ms = 0, built_at = now() - interval '1 hour'`;
    // Every artist changed: past the share where the history is built whole again.
    await sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, analysis_data, created_at, model_version)
      select id, 'qwen-3-4b-fp8', 'negative', 0.5, ${sql.json({ quality_score: 0.02 })}, '2026-01-02', 'every artist'
      from tracks`;
    const statements: string[] = [];
    const counted = countingClient(sql, (query) => statements.push(query));
    try {
      await materializeAll(counted);
    } finally {
      await counted.end();
    }
    expect(
      statements.filter((q) => BUILDING.test(q)),
      "no whole build inside the run",
    ).toEqual([]);
    expect((await storedHistory(sql, ARTIST_VIEW_TABLE))?.snapshot).toBe(before?.snapshot);

    await keepHistories({ runs: sql, bulk: db.bulk });
    expect((await storedHistory(sql, ARTIST_VIEW_TABLE))?.snapshot).not.toBe(before?.snapshot);
  });
});
