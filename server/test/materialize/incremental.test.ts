import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { bindParams } from "../../src/definitions/compile/params";
import { materializeAll, materializeTarget } from "../../src/materialize/runner";
import { listTargets } from "../../src/materialize/target";
import { getViewVersion, listRuns } from "../../src/registry";
import { corpusDatabase, differences, expectedQwenV2, latestPerTrack, rawAnalyses } from "./corpus";

const QWEN = "qwen-3-4b-fp8";

describe("incremental runs and crashes", () => {
  let db: Database;
  const rows = (table: string) => db.sql.unsafe(`select * from ${table} order by 1`);
  /** The rows a full recompute would give right now, from the registry's compiled SELECT. */
  const recomputed = async (name: string, version: number) => {
    const view = await getViewVersion(db.sql, name, version);
    const select = view?.compiled.select;
    if (!select) throw new Error(`${name}@${version} is not applied`);
    return db.sql.unsafe(`${select.text} order by 1`, bindParams(select) as never[]);
  };
  const watermarkOf = async (name: string, version: number) =>
    (await getViewVersion(db.sql, name, version))?.watermark;

  async function reanalyse(trackIds: number[], at: Date, sentiment: string) {
    for (const id of trackIds) {
      await db.sql`
        insert into analysis_results (track_id, analyzer_type, sentiment, confidence, themes, analysis_data,
          created_at, complexity_score, processing_time_ms, model_version)
        values (${id}, ${QWEN}, ${sentiment}, 0.99, '["rerun"]',
          ${db.sql.json({ mood: "Euphoric", energy: 0.9, themes: ["rerun"], longevity: 0.9, sentiment, quality_score: 10, viral_potential: 0.9, commercial_potential: 0.9 })},
          ${at}, 0.5, 1000, 'qwen-3-4b-fp8@9.0')`;
    }
  }

  beforeAll(async () => {
    db = await corpusDatabase(23);
    await materializeAll(db.sql);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("upserts only the entities with analyses newer than the watermark, and advances it on commit", async () => {
    const before = await watermarkOf("qwen_analysis", 2);
    expect(before).toBeInstanceOf(Date);
    const tracks = (await rows("fv_qwen_analysis_v2")).slice(0, 6).map((r) => r.track_id as number);
    const at = new Date((before as Date).getTime() + 86_400_000);
    const untouched = (await rows("fv_qwen_analysis_v2")).filter((r) => !tracks.includes(r.track_id));
    await reanalyse(tracks, at, "Positive");

    const results = await materializeAll(db.sql);
    const byName = new Map(results.map((r) => [`${r.name}@${r.version}`, r]));
    expect(results.every((r) => r.mode === "incremental")).toBe(true);
    expect(byName.get("qwen_analysis@2")?.rowsWritten).toBe(6);
    expect(byName.get("emotion_scores@1")?.rowsWritten).toBe(0);
    expect(await watermarkOf("qwen_analysis", 2)).toEqual(at);

    const after = await rows("fv_qwen_analysis_v2");
    expect(byName.get("qwen_analysis@2")?.rowCount).toBe(after.length);
    const expected = [...latestPerTrack(await rawAnalyses(db, QWEN)).values()].map(expectedQwenV2);
    expect(differences(after, expected, "track_id")).toEqual([]);
    expect(after.filter((r) => tracks.includes(r.track_id)).every((r) => r.sentiment === "positive")).toBe(
      true,
    );
    // Rows of other tracks were not rewritten.
    expect(after.filter((r) => !tracks.includes(r.track_id))).toEqual(untouched);

    // Every view (consensus and artist aggregates included) equals a full recompute.
    for (const [name, version] of [
      ["qwen_analysis", 1],
      ["analyzer_consensus", 1],
      ["artist_stats", 1],
      ["track_profile", 1],
    ] as const) {
      const table = `fv_${name}_v${version}`;
      const key = name === "artist_stats" ? "artist" : "track_id";
      const expected = (await recomputed(name, version)).map(({ materialized_at, ...rest }) => rest);
      // Averages may differ in the last bit (summation order): compared with a tolerance.
      expect(differences(await rows(table), expected, key), table).toEqual([]);
    }
  });

  it("answers point-in-time queries before and after a re-analysis", async () => {
    const analyses = await rawAnalyses(db, QWEN);
    const target = analyses.find(
      (a) =>
        a.model_version !== "qwen-3-4b-fp8@9.0" &&
        analyses.some(
          (b) => b.track_id === a.track_id && b.id !== a.id && b.model_version !== "qwen-3-4b-fp8@9.0",
        ),
    );
    const trackId = target?.track_id as number;
    const history = analyses
      .filter((a) => a.track_id === trackId)
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
    expect(history.length).toBeGreaterThanOrEqual(2);
    const [first, second] = history as [(typeof history)[0], (typeof history)[0]];
    const pit = (await getViewVersion(db.sql, "qwen_analysis", 2))?.compiled.point_in_time;
    if (!pit) throw new Error("no point-in-time query");
    const asOf = [
      new Date(first.created_at.getTime() - 1000),
      first.created_at,
      new Date(second.created_at.getTime() - 1000),
      second.created_at,
    ];
    const answers = await db.sql.unsafe(
      pit.text,
      bindParams(pit, { entity_ids: asOf.map(() => trackId), as_of: asOf }) as never[],
    );
    expect(answers.map((r) => Number(r.ord))).toEqual([1, 2, 3, 4]);
    expect(answers[0]?.event_timestamp).toBeNull();
    expect(answers[0]?.sentiment).toBeNull();
    const pick = ({ ord, as_of, track_id, ...features }: Record<string, unknown>) => features;
    const { track_id: _a, ...fromFirst } = expectedQwenV2(first);
    const { track_id: _b, ...fromSecond } = expectedQwenV2(second);
    expect(
      differences(
        [pick(answers[1] ?? {}), pick(answers[2] ?? {})].map((r, i) => ({ ...r, i })),
        [
          { ...fromFirst, i: 0 },
          { ...fromFirst, i: 1 },
        ],
        "i",
      ),
    ).toEqual([]);
    expect(differences([{ ...pick(answers[3] ?? {}), i: 0 }], [{ ...fromSecond, i: 0 }], "i")).toEqual([]);
  });

  it("a crash before the swap leaves the previous rows served, nothing partial, the watermark kept", async () => {
    const before = await rows("fv_qwen_analysis_v2");
    const watermark = await watermarkOf("qwen_analysis", 2);
    await reanalyse(
      [before[10]?.track_id as number],
      new Date((watermark as Date).getTime() + 3_600_000),
      "negative",
    );
    const [target] = await listTargets(db.sql, { name: "qwen_analysis", version: 2 });
    if (!target) throw new Error("no target");
    let servedDuringBuild: unknown[] = [];
    const crash = materializeTarget(db.sql, target, {
      full: true,
      faults: {
        // The staging table is complete here; the live one still holds the previous rows.
        beforeSwap: async (tx) => {
          servedDuringBuild = await tx.unsafe("select * from fv_qwen_analysis_v2 order by 1");
          const [staged] = await tx.unsafe("select count(*)::int as n from fv_qwen_analysis_v2__next");
          expect(staged?.n).toBe(before.length);
          throw new Error("simulated crash");
        },
      },
    });
    await expect(crash).rejects.toThrow("simulated crash");
    expect([...servedDuringBuild]).toEqual([...before]);
    expect(await rows("fv_qwen_analysis_v2")).toEqual(before);
    expect(await watermarkOf("qwen_analysis", 2)).toEqual(watermark);
    const [staging] = await db.sql`select to_regclass('fv_qwen_analysis_v2__next') as t`;
    expect(staging?.t).toBeNull();
    const [run] = await listRuns(db.sql, "qwen_analysis", 2, 1);
    expect(run).toMatchObject({ status: "failed", mode: "full", error: "simulated crash" });
  });

  it("a crash before an incremental commit leaves the previous rows and watermark", async () => {
    const before = await rows("fv_qwen_analysis_v2");
    const watermark = await watermarkOf("qwen_analysis", 2);
    const [target] = await listTargets(db.sql, { name: "qwen_analysis", version: 2 });
    if (!target) throw new Error("no target");
    const crash = materializeTarget(db.sql, target, {
      faults: {
        beforeCommit: async () => {
          throw new Error("simulated crash");
        },
      },
    });
    await expect(crash).rejects.toThrow("simulated crash");
    expect(await rows("fv_qwen_analysis_v2")).toEqual(before);
    expect(await watermarkOf("qwen_analysis", 2)).toEqual(watermark);

    const recovered = await materializeTarget(db.sql, target);
    expect(recovered).toMatchObject({ mode: "incremental", rowsWritten: 1 });
    expect(await rows("fv_qwen_analysis_v2")).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ track_id: before[10]?.track_id, sentiment: "negative" }),
      ]),
    );
  });

  it("runs one table's materializations one after the other and closes runs a dead process left open", async () => {
    const [target] = await listTargets(db.sql, { name: "gemma_analysis", version: 1 });
    if (!target) throw new Error("no target");
    const [stale] = await db.sql`
      insert into rapfs_materialization_runs (relation_kind, name, version, mode, status)
      values ('feature_view', 'gemma_analysis', 1, 'full', 'running') returning id`;
    const [a, b] = await Promise.all([
      materializeTarget(db.sql, target, { full: true }),
      materializeTarget(db.sql, target),
    ]);
    expect([a?.mode, b?.mode]).toEqual(["full", "incremental"]);
    expect(b?.rowsWritten).toBe(0);
    const [closed] =
      await db.sql`select status, error from rapfs_materialization_runs where id = ${stale?.id}`;
    expect(closed).toEqual({ status: "failed", error: "interrupted: the process running it stopped" });
  });

  it("rebuilds an artist view in full when its per-track inputs were lost (unlogged table after a crash)", async () => {
    await db.sql`truncate fv_artist_stats_v1__by_track`;
    const [run] = await materializeAll(db.sql, { only: { name: "artist_stats" } });
    expect(run?.mode).toBe("full");
    const expected = (await recomputed("artist_stats", 1)).map(({ materialized_at, ...rest }) => rest);
    expect(differences(await rows("fv_artist_stats_v1"), expected, "artist")).toEqual([]);
    const [cached] = await db.sql`select count(*)::int as n from fv_artist_stats_v1__by_track`;
    expect(cached?.n).toBeGreaterThan(0);
  });
});
