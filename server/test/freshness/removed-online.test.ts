import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeatureVectorSchema } from "../../src/api/routes/features/get";
import type { RunResult } from "../../src/materialize/runner";
import type { RunningServer } from "../../src/runtime/start-server";
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from "../online/redis-harness";
import { call, ok, startServing } from "../serving/support";

/**
 * A deleted source row leaves the online store with the keys its incremental run removed: the
 * Redis sync unlinks them (the view stays sealed, so a missing row answers "absent" without
 * Postgres), and the in-process store of the embedded default forgets them.
 */
describe.each([
  { store: "Redis", redisUrl: SHARED_REDIS_URL },
  { store: "the in-process store", redisUrl: undefined },
])(
  "rows whose sources are deleted leave $store",
  ({ redisUrl }) => {
    const prefix = uniquePrefix();
    let server: RunningServer;

    const lookup = async (id: number, features: string) =>
      ok(await call(server, `/v1/features/track/${id}?features=${features}`), FeatureVectorSchema).features;
    /**
     * The scheduler's looks until the views this test reads have no change left to serve (a view
     * runs at most every third of its objective): the runs they made, each followed by the online
     * store.
     */
    const serveEveryChange = async (): Promise<RunResult[]> => {
      const freshness = server.services.freshness;
      const runs: RunResult[] = [];
      const read = ["emotion_scores@1", "track_profile@1"];
      for (let look = 0; look < 240; look++) {
        runs.push(...(await freshness.tick()));
        if (freshness.views().every((v) => !read.includes(v.view) || v.pendingChanges === 0)) return runs;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error("changes still unserved after 60 s of looks");
    };
    const runOf = (runs: RunResult[], view: string) => runs.find((r) => `${r.name}@${r.version}` === view);

    beforeAll(async () => {
      server = await startServing({
        ...(redisUrl ? { redisUrl, keyPrefix: prefix } : {}),
        // Runs only when the test ticks.
        config: { freshness: { enabled: true, defaultObjectiveSeconds: 60, pollMs: 600_000 } },
      });
      // The start's own look for changes, out of the way.
      await serveEveryChange();
    });
    afterAll(async () => {
      await server?.shutdown("test done");
      if (redisUrl) await deletePrefix(prefix);
    });

    it("answers not_found for a track whose last emotion analysis is deleted, and for a deleted track", async () => {
      const { sql } = server.services;
      const [a, b] = (
        await sql<{ track_id: number }[]>`select track_id from fv_emotion_scores_v1 order by track_id limit 2`
      ).map((r) => r.track_id) as [number, number];
      // Served (and cached) before the deletes.
      expect((await lookup(a, "emotion_scores@1:joy"))["emotion_scores@1:joy"]?.status).toBe("present");
      expect((await lookup(b, "track_profile@1:title_length"))["track_profile@1:title_length"]?.status).toBe(
        "present",
      );

      await sql`delete from analysis_results where track_id = ${a} and analyzer_type = 'emotion-distilroberta'`;
      await sql.begin(async (tx) => {
        await tx`delete from analysis_results where track_id = ${b}`;
        await tx`delete from tracks where id = ${b}`;
      });
      const runs = await serveEveryChange();
      expect(runOf(runs, "emotion_scores@1")).toMatchObject({
        mode: "incremental",
        removedKeys: [String(a), String(b)].sort(),
      });
      expect(runOf(runs, "track_profile@1")).toMatchObject({ mode: "incremental", removedKeys: [String(b)] });

      expect((await lookup(a, "emotion_scores@1:joy"))["emotion_scores@1:joy"]).toEqual({
        value: null,
        status: "not_found",
        event_timestamp: null,
      });
      expect((await lookup(b, "track_profile@1:title_length"))["track_profile@1:title_length"]?.status).toBe(
        "not_found",
      );
      // A bystander is still served.
      const [c] = (
        await sql<{ track_id: number }[]>`select track_id from fv_emotion_scores_v1 order by track_id limit 1`
      ).map((r) => r.track_id) as [number];
      expect((await lookup(c, "emotion_scores@1:joy"))["emotion_scores@1:joy"]?.status).toBe("present");
    });
  },
  300_000,
);
