import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatasetDetailSchema } from "../../src/api/routes/registry/dataset";
import { DatasetListSchema } from "../../src/api/routes/registry/datasets";
import { EmbeddingListSchema } from "../../src/api/routes/registry/embeddings";
import { EntityListSchema } from "../../src/api/routes/registry/entities";
import {
  FeatureServiceListSchema,
  FeatureServiceSchema,
} from "../../src/api/routes/registry/feature-services";
import { ViewVersionsSchema } from "../../src/api/routes/registry/view";
import { ViewVersionDetailSchema } from "../../src/api/routes/registry/view-version";
import { ViewListSchema } from "../../src/api/routes/registry/views";
import type { RunningServer } from "../../src/runtime/start-server";
import { ServingCatalog } from "../../src/serving";
import { waitFor } from "../online/redis-harness";
import { call, ok, problem, startServing } from "./support";

let server: RunningServer;

beforeAll(async () => {
  server = await startServing();
});
afterAll(async () => {
  await server?.shutdown("test done");
});

const get = (path: string) => call(server, path);

describe("GET /v1/registry/...", () => {
  it("entities, with their key types and relations", async () => {
    const body = ok(await get("/v1/registry/entities"), EntityListSchema);
    expect(body.entities.map((e) => [e.name, e.key_type, Object.keys(e.relations)])).toEqual([
      ["artist", "string", []],
      ["track", "int", ["artist"]],
    ]);
  });

  it("views, filtered by entity, status, tag, latest and text", async () => {
    const names = async (query: string) =>
      ok(await get(`/v1/registry/views${query}`), ViewListSchema).views.map((v) => v.ref);
    const all = await names("");
    expect(all).toHaveLength(9);
    expect(await names("?entity=artist")).toEqual(["artist_stats@1"]);
    expect(await names("?status=deprecated")).toEqual(["qwen_analysis@1"]);
    expect(await names("?latest=true")).toEqual(all.filter((r) => r !== "qwen_analysis@1"));
    expect(await names("?tag=qwen")).toEqual(["qwen_analysis@1", "qwen_analysis@2"]);
    expect(await names("?q=dominant")).toEqual(["emotion_scores@1"]);
    problem(await get("/v1/registry/views?status=gone"), 400, "VALIDATION_FAILED");
  });

  it("one view with all its versions", async () => {
    const body = ok(await get("/v1/registry/views/qwen_analysis"), ViewVersionsSchema);
    expect(body.latest_version).toBe(2);
    expect(body.versions.map((v) => [v.version, v.status, v.is_latest])).toEqual([
      [1, "deprecated", false],
      [2, "active", true],
    ]);
    const missing = problem(await get("/v1/registry/views/qwen"), 404, "NOT_FOUND");
    expect(missing.suggestions).toEqual(["qwen_analysis"]);
  });

  it("one version: schema, descriptions, compiled SQL, freshness, statistics and drift", async () => {
    const v2 = ok(await get("/v1/registry/views/qwen_analysis/versions/2"), ViewVersionDetailSchema);
    expect(v2.schema.key).toEqual({ name: "track_id", pg_type: "integer" });
    expect(v2.schema.columns.map((c) => c.name)).toEqual([
      "event_timestamp",
      ...v2.features.map((f) => f.name),
    ]);
    expect(v2.features.every((f) => f.description.length > 0)).toBe(true);
    expect(v2.compiled.full.text).toContain("fv_qwen_analysis_v2");
    expect(v2.compiled.ddl).toContain("create table");
    expect(v2.freshness_seconds).toBeGreaterThanOrEqual(0);
    expect(v2.freshness_seconds).toBeLessThan(600);
    expect(v2.statistics?.rows).toBe(v2.row_count);
    // The start's catch-up runs came after the full run these describe (no scheduler here to follow them).
    expect(v2.statistics?.run_id).toBeLessThanOrEqual(v2.last_run?.id ?? 0);
    expect(Date.parse(v2.statistics?.run_finished_at ?? "")).toBeLessThanOrEqual(
      Date.parse(v2.last_run?.finished_at ?? ""),
    );
    expect(v2.statistics?.features.sentiment?.top_values?.length).toBeGreaterThan(0);
    // Histograms for numbers and timestamps, list lengths for lists: the schema above checked their shape.
    for (const name of ["confidence", "quality", "analyzed_at"]) {
      const stats = v2.statistics?.features[name];
      const h = stats?.histogram;
      expect(h?.counts.length, name).toBeGreaterThan(1);
      expect(
        (h?.counts.reduce((a, b) => a + b, 0) ?? 0) + (h?.underflow ?? 0) + (h?.overflow ?? 0),
        name,
      ).toBe(stats?.count);
    }
    expect(v2.statistics?.features.themes?.length_histogram?.bin_width).toBe(1);
    expect(v2.statistics?.features.themes?.null_count).toBe(0);
    expect(v2.drift?.against).toBe("qwen_analysis@1");
    expect(v2.drift?.features).toHaveProperty("confidence");
    expect(v2.drift?.features.confidence?.mean_delta).toBe(0);
    expect(v2.successor).toBeNull();

    const v1 = ok(await get("/v1/registry/views/qwen_analysis/versions/1"), ViewVersionDetailSchema);
    expect(v1).toMatchObject({
      status: "deprecated",
      sunset_date: "2026-12-31",
      successor: "qwen_analysis@2",
      drift: null,
    });
    problem(await get("/v1/registry/views/qwen_analysis/versions/9"), 404, "NOT_FOUND");
    problem(await get("/v1/registry/views/qwen_analysis/versions/two"), 400, "VALIDATION_FAILED");
  });

  it("feature services, resolved against the current catalog", async () => {
    const list = ok(await get("/v1/registry/services"), FeatureServiceListSchema);
    expect(list.services.map((s) => s.name)).toEqual(["artist_context", "hit_predictor", "mood_board"]);
    const mood = ok(await get("/v1/registry/services/mood_board"), FeatureServiceSchema);
    expect(mood.feature_refs).toContain("qwen_analysis:mood");
    expect(mood.features).toContain("qwen_analysis@2:mood");
    expect(mood.resolution_error).toBeNull();
    const missing = problem(await get("/v1/registry/services/mood"), 404, "NOT_FOUND");
    expect(missing.suggestions).toEqual(["mood_board"]);
  });

  it("embeddings and datasets", async () => {
    const embeddings = ok(await get("/v1/registry/embeddings"), EmbeddingListSchema).embeddings;
    expect(embeddings.map((e) => [e.ref, e.dimension, e.metric, e.index])).toEqual([
      ["analysis@1", 256, "cosine", "exact"],
      ["audio@1", 128, "cosine", "exact"],
      ["lyrics@1", 384, "cosine", "exact"],
    ]);
    expect(embeddings[0]?.freshness_seconds).not.toBeNull();
    const datasets = ok(await get("/v1/registry/datasets"), DatasetListSchema).datasets;
    expect(datasets.map((d) => d.name)).toEqual(["public"]);
    const detail = ok(await get("/v1/registry/datasets/public"), DatasetDetailSchema);
    expect(detail.license).toContain("CC-BY-4.0");
    expect(detail.columns.map((c) => c.ref)).toContain("qwen_analysis@2:sentiment");
    expect(detail.query.text.length).toBeGreaterThan(0);
    problem(await get("/v1/registry/datasets/privat"), 404, "NOT_FOUND");
  });
});

describe("the serving catalog", () => {
  it("notices a change applied by another process within its refresh interval", async () => {
    const { sql, logger } = server.services;
    const catalog = new ServingCatalog(sql, { logger, refreshMs: 0 });
    expect((await catalog.current()).byKey.get("gemma_analysis@1")?.status).toBe("active");
    await sql`update rapfs_feature_views set status = 'deprecated', sunset_date = '2030-01-01', updated_at = now()
      where name = 'gemma_analysis'`;
    try {
      const status = await waitFor(async () => {
        const view = (await catalog.current()).byKey.get("gemma_analysis@1");
        return view?.status === "deprecated" ? view.status : undefined;
      });
      expect(status).toBe("deprecated");
    } finally {
      await sql`update rapfs_feature_views set status = 'active', sunset_date = null, updated_at = now()
        where name = 'gemma_analysis'`;
    }
  });
});

describe("the serving catalog after a materialization run", () => {
  it("answers from the state loaded before while it reloads, however long the database is busy", async () => {
    const { sql, logger } = server.services;
    const catalog = new ServingCatalog(sql, { logger, refreshMs: 60_000 });
    const before = await catalog.current();
    let released = () => {};
    const held = new Promise<void>((resolve) => {
      released = resolve;
    });
    // The interactive pool's one connection is busy, as when a run's neighbours hold it.
    const busy = sql.begin(async (tx) => {
      await tx`select 1`;
      await held;
    });
    try {
      catalog.refresh();
      const started = performance.now();
      expect(await catalog.current()).toBe(before);
      expect(performance.now() - started).toBeLessThan(50);
    } finally {
      released();
      await busy;
    }
    const after = await waitFor(async () => {
      const state = await catalog.current();
      return state.generation > before.generation ? state : undefined;
    });
    expect(after.byKey.size).toBe(before.byKey.size);
  });
});

describe("OpenAPI", () => {
  it("documents every serving route in a valid OpenAPI 3.1 document", async () => {
    const res = await server.app.request("/openapi.json");
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/features/{entity}/{id}",
        "/v1/features/{entity}/batch",
        "/v1/embeddings/{name}/{id}",
        "/v1/embeddings/{name}/batch",
        "/v1/embeddings/{name}/search",
        "/v1/registry/entities",
        "/v1/registry/views",
        "/v1/registry/views/{name}",
        "/v1/registry/views/{name}/versions/{version}",
        "/v1/registry/services",
        "/v1/registry/services/{name}",
        "/v1/registry/embeddings",
        "/v1/registry/datasets",
        "/v1/registry/datasets/{name}",
      ]),
    );
  });
});
