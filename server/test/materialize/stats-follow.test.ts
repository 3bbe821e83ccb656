import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Sql } from "../../src/db/database";
import { followRuns } from "../../src/freshness/follow-runs";
import { FreshnessScheduler } from "../../src/freshness/scheduler";
import { ingestBatch } from "../../src/ingest";
import { silentLogger } from "../../src/log/logger";
import { attachHistograms, histogramQuery, planHistograms } from "../../src/materialize/histogram";
import { materializeAll } from "../../src/materialize/runner";
import { QUANTILE_SAMPLE_ROWS, statsQuery } from "../../src/materialize/stats";
import { StatsFollower } from "../../src/materialize/stats-follower";
import { recountStats } from "../../src/materialize/stats-recount";
import { listTargets, type MaterializeTarget } from "../../src/materialize/target";
import { createMetrics } from "../../src/metrics/registry";
import { MemoryOnlineStore } from "../../src/online/memory-store";
import { getViewVersion } from "../../src/registry";
import { applyDefinitions } from "../../src/registry/apply";
import type { RunStats } from "../../src/registry/stats";
import { prepareDefinitions } from "../../src/runtime/prepare-definitions";
import { definitionsDir, ENTITIES, view } from "../definitions/helpers";
import { createServerTestDatabase } from "../support/databases";
import { addQwenAnalyses, seedPlainCorpus } from "../support/plain-corpus";
import { corpusDatabase, SHIPPED_DEFINITIONS } from "./corpus";

/** What a full run counts over the table as it is now: statsQuery, then the histograms' scan. */
async function fullRecount(
  sql: Sql,
  target: MaterializeTarget,
  sampleRows = QUANTILE_SAMPLE_ROWS,
): Promise<RunStats> {
  const [counted] = await sql.unsafe(`select count(*)::int as n from "${target.table}"`);
  const rows = Number(counted?.n);
  const step = target.keyType === "int" ? Math.ceil(rows / sampleRows) : 1;
  const [row] = await sql.unsafe(statsQuery(target.table, target.key, target.columns, false, step));
  const { __rows, ...features } = row as Record<string, unknown>;
  const stats = features as RunStats["features"];
  const planned = planHistograms(target.columns, stats);
  if (planned.length > 0) {
    const bins = await sql.unsafe(histogramQuery(target.table, target.key, planned, false));
    attachHistograms(stats, planned, bins as unknown as { i: number; bucket: number; n: number }[]);
  }
  return {
    scope: "table",
    rows: Number(__rows),
    ...(step > 1 ? { quantileSampleEvery: step } : {}),
    features: stats,
  };
}

/**
 * Every statistic of `actual` that differs from `expected`. Means are sums divided by counts,
 * and a sum in another order differs by float noise: they agree to 12 digits, the rest exactly.
 */
function differences(actual: RunStats, expected: RunStats, view: string): string[] {
  const out: string[] = [];
  if (actual.rows !== expected.rows) out.push(`${view} rows: ${actual.rows} ≠ ${expected.rows}`);
  if (actual.quantileSampleEvery !== expected.quantileSampleEvery) out.push(`${view} quantileSampleEvery`);
  for (const [name, want] of Object.entries(expected.features)) {
    const got = actual.features[name] as unknown as Record<string, unknown> | undefined;
    for (const [field, value] of Object.entries(want)) {
      const have = got?.[field];
      const close =
        (field === "mean" || field === "mean_length") && typeof value === "number" && typeof have === "number"
          ? Math.abs(value - have) <= 1e-12 * Math.max(1, Math.abs(value))
          : canonical(have) === canonical(value);
      if (!close) out.push(`${view}.${name}.${field}: ${canonical(have)} ≠ ${canonical(value)}`);
    }
  }
  return out;
}

/** JSON with keys in order: stored statistics went through jsonb, which orders them its own way. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
  );

function emotion(i: number) {
  // Shares far from the corpus's, so maxima, means, quantiles, labels and bins all move.
  const joy = 0.97 - (i % 7) * 0.001;
  const rest = (1 - joy) / 5;
  return { joy, sadness: rest, anger: rest, fear: rest, surprise: rest, love: rest, dominant: "joy" };
}

describe("statistics that follow incremental runs", () => {
  let db: Database;
  let views: MaterializeTarget[];
  beforeAll(async () => {
    db = await corpusDatabase(17);
    await prepareDefinitions(db, { definitionsDir: SHIPPED_DEFINITIONS });
    views = (await listTargets(db.sql)).filter((t) => t.kind === "feature_view");
  });
  afterAll(() => db?.close());

  it("recounts a table in slices to exactly what a full run counts, the sampled quantiles too", async () => {
    // 150 rows a sample: every 3rd or 4th track of a track view, as 20,000 are of 57,718 at scale 1.
    for (const sampleRows of [QUANTILE_SAMPLE_ROWS, 150]) {
      for (const view of views) {
        const recount = await recountStats(db.sql, view, { sliceRows: 97, evenIfCounted: true, sampleRows });
        if (!recount) throw new Error(`${view.name}@${view.version} not recounted`);
        const full = await fullRecount(db.sql, view, sampleRows);
        expect(differences(recount.stats, full, view.name)).toEqual([]);
        if (sampleRows === 150 && view.keyType === "int")
          expect(full.quantileSampleEvery).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it("after 100 analyses and 10 tracks through the door, the registry's statistics are a full recount's, with the run they describe", async () => {
    const rows = await db.sql<{ id: number }[]>`select id from tracks order by id`;
    const tracks = rows
      .map((r) => r.id)
      .filter((_, i) => i % 5 === 0)
      .slice(0, 100);
    await ingestBatch(db.sql, {
      tracks: Array.from({ length: 10 }, (_, i) => ({
        title: `Fresh ${i}`,
        artist: "Newcomer",
        lyrics: "one\ntwo three",
        spotify_data: {
          popularity: 99,
          release_date: "2026-01-01",
          album: "Fresh",
          explicit: true,
          genres: ["drill"],
        },
      })),
      analyses: tracks.map((track_id, i) => ({
        track_id,
        analyzer_type: "emotion-distilroberta",
        sentiment: "positive",
        confidence: 0.9,
        analysis_data: emotion(i),
        model_version: "emotion-distilroberta@9",
      })),
    });
    // As the server follows its scheduler's runs (runtime/compose.ts), with slices of 150 rows.
    const statements = new Map<string, number[]>();
    const follower = new StatsFollower({
      sql: db.bulk,
      logger: silentLogger,
      debounceMs: 10,
      sliceRows: 150,
      onStored: (v) => statements.set(v.name, [...(statements.get(v.name) ?? []), v.statements]),
    });
    const scheduler = new FreshnessScheduler({
      sql: db.sql,
      logger: silentLogger,
      defaultObjectiveSeconds: 30,
      pollMs: 60_000,
      minIntervalMs: 0,
      afterRuns: followRuns({
        metrics: createMetrics({ defaultMetrics: false }),
        onlineStore: new MemoryOnlineStore(),
        refreshCatalog: () => {},
        statistics: follower,
      }),
    });
    const runs = await scheduler.tick();
    expect(runs.every((r) => r.mode === "incremental")).toBe(true);
    await follower.idle();
    const changed = runs.filter((r) => r.rowsWritten > 0).map((r) => `${r.name}@${r.version}`);
    expect(changed).toEqual(expect.arrayContaining(["emotion_scores@1", "track_profile@1"]));
    expect(await registryDifferences()).toEqual([]);

    // Again, on the first 10 tracks only: the next count reads their slice and the tail again, and
    // keeps the others' partials.
    await ingestBatch(db.sql, {
      analyses: rows.slice(0, 10).map((r, i) => ({
        track_id: r.id,
        analyzer_type: "emotion-distilroberta",
        analysis_data: emotion(i + 3),
      })),
    });
    expect((await scheduler.tick()).find((r) => r.name === "emotion_scores")?.mode).toBe("incremental");
    await follower.idle();
    expect(await registryDifferences()).toEqual([]);
    const [whole, changedOnly] = statements.get("emotion_scores") ?? [];
    expect(changedOnly).toBeLessThan(whole as number);
    await follower.stop();
  });

  /** Every statistic the registry serves that a full count of the table now disagrees with. */
  async function registryDifferences(): Promise<string[]> {
    const wrong: string[] = [];
    for (const view of views) {
      const registered = await getViewVersion(db.sql, view.name, view.version);
      if (!registered?.stats) throw new Error(`${view.name}@${view.version} has no statistics`);
      expect(registered.statsRun?.id).toBe(registered.lastRun?.id);
      wrong.push(
        ...differences(registered.stats, await fullRecount(db.sql, view), `${view.name}@${view.version}`),
      );
    }
    return wrong;
  }

  it("counts, once started, the tables of runs no follower saw (a start's catch-up, rapfs materialize)", async () => {
    const [track] = await db.sql<{ id: number }[]>`select id from tracks order by id desc limit 1`;
    await ingestBatch(db.sql, {
      analyses: [
        { track_id: track?.id as number, analyzer_type: "emotion-distilroberta", analysis_data: emotion(3) },
      ],
    });
    const runs = await materializeAll(db.sql, { which: "built" });
    expect(runs.find((r) => r.name === "emotion_scores")?.mode).toBe("incremental");
    const before = await getViewVersion(db.sql, "emotion_scores", 1);
    expect(before?.statsRun?.id).toBeLessThan(before?.lastRun?.id ?? 0);
    const follower = new StatsFollower({ sql: db.bulk, logger: silentLogger, debounceMs: 10 });
    await follower.followUncounted();
    await follower.idle();
    const view = views.find((v) => v.name === "emotion_scores") as MaterializeTarget;
    const after = await getViewVersion(db.sql, "emotion_scores", 1);
    expect(after?.statsRun?.id).toBe(after?.lastRun?.id);
    expect(
      differences(after?.stats as RunStats, await fullRecount(db.sql, view), "emotion_scores@1"),
    ).toEqual([]);
    await follower.stop();
  });

  it("drops a count when a run commits between two of its slices, rather than merge two versions", async () => {
    const view = views.find((v) => v.name === "emotion_scores") as MaterializeTarget;
    const [track] = await db.sql<{ id: number }[]>`select id from tracks order by id limit 1`;
    let statements = 0;
    // The bulk connection, with a run of the view committed right after the first slice was read.
    const between = new Proxy(db.bulk, {
      get(target, prop) {
        if (prop !== "unsafe") return Reflect.get(target, prop);
        return async (...args: Parameters<Sql["unsafe"]>) => {
          const result = await target.unsafe(...args);
          if (++statements === 1) {
            await ingestBatch(db.sql, {
              analyses: [
                {
                  track_id: track?.id as number,
                  analyzer_type: "emotion-distilroberta",
                  analysis_data: emotion(5),
                },
              ],
            });
            await materializeAll(db.sql, {
              which: "built",
              only: { name: view.name, version: view.version },
            });
          }
          return result;
        };
      },
    });
    expect(await recountStats(between, view, { sliceRows: 100, evenIfCounted: true })).toBeUndefined();
    expect(statements).toBe(2);
    const recount = await recountStats(db.bulk, view, { sliceRows: 100, evenIfCounted: true });
    expect(differences(recount?.stats as RunStats, await fullRecount(db.sql, view), view.name)).toEqual([]);
  });
});

describe("statistics that follow incremental runs on a PostgreSQL server", () => {
  let database: Awaited<ReturnType<typeof createServerTestDatabase>>;
  let sql: Sql;
  let defs: Awaited<ReturnType<typeof definitionsDir>>;
  beforeAll(async () => {
    database = await createServerTestDatabase();
    sql = postgres(database.url, { max: 4, onnotice: () => {} });
    await seedPlainCorpus(sql, 400);
    defs = await definitionsDir({
      "entities.yaml": ENTITIES,
      "v.yaml": view("labels", 1, [
        "sentiment: string = a.sentiment",
        "confidence: float = a.confidence",
        "analyzed_at: timestamp = a.created_at",
        "title: string = t.title",
      ]),
    });
    await applyDefinitions(sql, defs.dir);
    await materializeAll(sql);
  });
  afterAll(async () => {
    await sql?.end();
    await database?.drop();
    await defs?.remove();
  });

  it("counts the table after an incremental run to what a full run counts, ties of labels in the server's collation", async () => {
    await addQwenAnalyses(sql, "Zebra", "2025-06-01");
    const [run] = await materializeAll(sql);
    expect(run?.mode).toBe("incremental");
    const target = (await listTargets(sql, { name: "labels" }))[0] as MaterializeTarget;
    const recount = await recountStats(sql, target, { sliceRows: 64, sampleRows: 100 });
    expect(recount?.runId).toBe(run?.runId);
    const full = await fullRecount(sql, target, 100);
    expect(full.features.title?.top_values?.length).toBe(5);
    expect(differences(recount?.stats as RunStats, full, "labels@1")).toEqual([]);
  });
});
