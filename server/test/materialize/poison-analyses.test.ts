import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../../src/db/database";
import { DomainError } from "../../src/errors";
import { FreshnessScheduler } from "../../src/freshness/scheduler";
import { ingestBatch } from "../../src/ingest";
import { silentLogger } from "../../src/log/logger";
import { listQuarantined } from "../../src/materialize/quarantine";
import { materializeAll, type RunResult } from "../../src/materialize/runner";
import { createMetrics } from "../../src/metrics/registry";
import { applyDefinitions } from "../../src/registry/apply";
import { definitionsDir, ENTITIES, view } from "../definitions/helpers";
import { openBareTestDatabase } from "../support/databases";
import { seedPlainCorpus } from "../support/plain-corpus";

const TRACKS = 60;
const ANALYZER = "qwen-3-4b-fp8";
const good = (i: number) => ({ joy: 0.5 + i / 1000, mood: `calm ${i}`, words: 100 + i, themes: ["love"] });

/** The three kinds of poison, each a value the view's SQL would fail on or misread. */
const POISONS = [
  { name: "a string where it casts to float", data: { ...good(0), joy: "not-a-number" }, feature: "joy" },
  {
    name: "a nested object where it reads text",
    data: { ...good(0), mood: { label: "sad" } },
    feature: "mood",
  },
  { name: "a number out of its integer column's range", data: { ...good(0), words: 1e12 }, feature: "words" },
  { name: "a float out of double precision's range", data: { ...good(0), joy: "1e400" }, feature: "joy" },
  { name: "a string where it counts an array", data: { ...good(0), themes: "love" }, feature: "theme_count" },
];

const SCORES = view("scores", 1, [
  "joy: float = (a.analysis_data->>'joy')::float",
  "mood: string = a.analysis_data->>'mood'",
  "words: int = round((a.analysis_data->>'words')::numeric)",
  "theme_count: int = jsonb_array_length(a.analysis_data->'themes')",
]).replace("owner: tests\n", "owner: tests\nfreshness: 5s\n");

for (const topology of ["embedded", "server"] as const) {
  describe(`an analysis a view cannot read (${topology} PostgreSQL)`, () => {
    let sql: Sql;
    let close: () => Promise<void>;
    let defs: Awaited<ReturnType<typeof definitionsDir>>;
    let scheduler: FreshnessScheduler;
    const metrics = createMetrics({ defaultMetrics: false });

    beforeAll(async () => {
      ({ sql, close } = await openBareTestDatabase(topology));
      await seedPlainCorpus(sql, TRACKS);
      await sql`update analysis_results set analysis_data = jsonb_build_object(
        'joy', 0.25, 'mood', 'old', 'words', 7, 'themes', jsonb_build_array('old'))`;
      defs = await definitionsDir({ "entities.yaml": ENTITIES, "v.yaml": SCORES });
      await applyDefinitions(sql, defs.dir);
      await materializeAll(sql);
      scheduler = new FreshnessScheduler({
        sql,
        logger: silentLogger,
        defaultObjectiveSeconds: 30,
        pollMs: 600_000,
        minIntervalMs: 0,
        afterRuns: async () => {},
      });
      metrics.observeFreshness(scheduler);
    });
    afterAll(async () => {
      await scheduler?.stop();
      await close?.();
      await defs?.remove();
    });

    const served = async (track: number) =>
      (await sql`select joy, mood, words, theme_count from fv_scores_v1 where track_id = ${track}`)[0];

    it("is refused at the door with the row, the key and the view's cast; nothing is written", async () => {
      const before = await sql`select count(*)::int as n from analysis_results`;
      for (const poison of POISONS) {
        const sent = ingestBatch(sql, {
          analyses: [
            { track_id: 1, analyzer_type: ANALYZER, analysis_data: good(1) },
            { track_id: 2, analyzer_type: ANALYZER, analysis_data: poison.data },
          ],
        });
        const error = (await sent.catch((e: unknown) => e)) as DomainError;
        expect(error, poison.name).toBeInstanceOf(DomainError);
        expect(error.code).toBe("VALIDATION_FAILED");
        const problems = error.errors ?? [];
        expect(problems, poison.name).toHaveLength(1);
        expect(problems[0]?.path).toEqual(["analyses", 1, "analysis_data", expect.any(String)]);
        expect(problems[0]?.code).toBe("unreadable_by_view");
        expect(problems[0]?.detail).toMatch(/scores@1 reads .*a\.analysis_data-/);
        expect(problems[0]?.detail).toContain(`feature ${poison.feature}`);
      }
      // Another analyzer's analysis_data is no view's business.
      await ingestBatch(sql, {
        analyses: [{ track_id: 3, analyzer_type: "algorithmic", analysis_data: { joy: "whatever" } }],
      });
      const after = await sql`select count(*)::int as n from analysis_results`;
      expect(after[0]?.n).toBe((before[0]?.n as number) + 1);
    });

    it("written straight into analysis_results, is skipped and reported while the view stays fresh", async () => {
      const writeRaw = (track: number, data: unknown) =>
        sql`insert into analysis_results (track_id, analyzer_type, analysis_data, created_at)
            values (${track}, ${ANALYZER}, ${sql.json(data as never)}, clock_timestamp() at time zone 'UTC')`;
      for (const [i, poison] of POISONS.entries()) await writeRaw(10 + i, poison.data);
      await writeRaw(30, good(30));
      await writeRaw(31, good(31));

      const runs: RunResult[] = await scheduler.tick();
      const run = runs.find((r) => r.name === "scores");
      expect(run?.mode).toBe("incremental");
      // Every good row is served; each poisoned track keeps its previous analysis.
      expect(await served(30)).toMatchObject({ joy: 0.53, mood: "calm 30", words: 130, theme_count: 1 });
      expect(await served(31)).toMatchObject({ joy: 0.531, mood: "calm 31" });
      for (const [i] of POISONS.entries())
        expect(await served(10 + i)).toMatchObject({ joy: 0.25, mood: "old", words: 7, theme_count: 1 });
      expect(scheduler.views()[0]).toMatchObject({
        view: "scores@1",
        pendingChanges: 0,
        status: "fresh",
        quarantinedAnalyses: POISONS.length,
      });
      expect(run?.quarantine.found.map((f) => [f.trackId, f.feature])).toEqual(
        POISONS.map((p, i) => [10 + i, p.feature]),
      );
      expect(run?.quarantine.found[0]?.problem).toContain("must be a number");
      const listed = await listQuarantined(sql, { name: "scores" });
      expect(listed.map((e) => [e.view, e.trackId, e.field]).sort()).toEqual(
        POISONS.map((p, i) => [
          "scores@1",
          10 + i,
          `analysis_data.${p.feature === "theme_count" ? "themes" : p.feature}`,
        ]).sort(),
      );
      expect(await metrics.registry.metrics()).toContain(
        `rapfs_quarantined_analyses{view="scores@1"} ${POISONS.length}`,
      );

      // A full run (a new process, a back-dated row) skips them as well and reports nothing new.
      const [full] = await materializeAll(sql, { full: true });
      expect(full?.quarantine).toEqual({ found: [], total: POISONS.length });
      expect(await served(10)).toMatchObject({ joy: 0.25 });

      // A corrected analysis takes the track back and, on the next full run, leaves the list.
      await writeRaw(10, good(10));
      await scheduler.tick();
      expect(await served(10)).toMatchObject({ joy: 0.51 });
      await sql`delete from analysis_results where track_id = 11 and analysis_data->'mood' ? 'label'`;
      const [rebuilt] = await materializeAll(sql, { full: true });
      expect(rebuilt?.quarantine.total).toBe(POISONS.length - 1);
    });
  });
}
