import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { bindParams } from "../../src/definitions/compile/params";
import { silentLogger } from "../../src/log/logger";
import {
  getDataset,
  getEmbedding,
  getFeatureService,
  getViewVersion,
  listEntities,
  listViews,
} from "../../src/registry";
import { prepareDefinitions } from "../../src/runtime/prepare-definitions";
import { type CatalogView, resolveReferences, ServingCatalog } from "../../src/serving";
import { corpusDatabase, SHIPPED_DEFINITIONS } from "./corpus";

/** When references are resolved: before any shipped version's sunset. */
const AT = Date.UTC(2026, 0, 1);

describe("the registry read API over applied, materialized definitions", () => {
  let db: Database;
  beforeAll(async () => {
    db = await corpusDatabase(5);
    await prepareDefinitions(db, { definitionsDir: SHIPPED_DEFINITIONS });
  });
  afterAll(async () => {
    await db?.close();
  });

  it("lists entities and view versions with status, freshness and the latest flag", async () => {
    expect((await listEntities(db.sql)).map((e) => [e.name, e.keyColumn])).toEqual([
      ["artist", "artist"],
      ["track", "track_id"],
    ]);
    const views = await listViews(db.sql);
    const qwen = views.filter((v) => v.name === "qwen_analysis");
    expect(qwen.map((v) => [v.version, v.status, v.sunsetDate, v.isLatest, v.table])).toEqual([
      [1, "deprecated", "2026-12-31", false, "fv_qwen_analysis_v1"],
      [2, "active", null, true, "fv_qwen_analysis_v2"],
    ]);
    expect(views.every((v) => v.lastRun?.status === "succeeded" && v.watermark instanceof Date)).toBe(true);
    expect((await listViews(db.sql, { entity: "artist" })).map((v) => v.name)).toEqual(["artist_stats"]);
  });

  it("gives one version's features, compiled SQL and statistics; the latest when no version is named", async () => {
    const latest = await getViewVersion(db.sql, "qwen_analysis");
    expect(latest?.version).toBe(2);
    expect(latest?.features.find((f) => f.name === "themes")).toMatchObject({
      type: "string[]",
      pg_type: "text[]",
    });
    expect(latest?.compiled.point_in_time.text).toContain("_pit.as_of");
    expect(latest?.stats?.features.quality?.quantiles?.p50).toBeGreaterThan(0);
    expect(await getViewVersion(db.sql, "qwen_analysis", 9)).toBeUndefined();
    expect(await getViewVersion(db.sql, "nope")).toBeUndefined();
  });

  it("resolves feature references to tables and columns, related entities' through relations, and refuses others", async () => {
    const snapshot = await new ServingCatalog(db.sql, { logger: silentLogger }).current();
    const track = snapshot.entities.get("track");
    if (!track) throw new Error("no track entity");
    const { columns, problems } = resolveReferences(
      snapshot,
      track,
      ["qwen_analysis:quality", "qwen_analysis@1:*", "artist_stats:track_count", "qwen_analysis@2:nope"],
      Date.parse("2026-11-01T00:00:00Z"),
    );
    const viewOf = (viewKey: string) => snapshot.byKey.get(viewKey) as CatalogView;
    const features = columns.map((c) => ({ ...c, table: viewOf(c.viewKey).table, view: viewOf(c.viewKey) }));
    expect(features[0]).toMatchObject({
      view: { name: "qwen_analysis", version: 2 },
      version: 2,
      table: "fv_qwen_analysis_v2",
      type: "float",
    });
    expect(
      features
        .filter((f) => f.view.name === "qwen_analysis" && f.version === 1)
        .every((f) => f.view.status === "deprecated" && f.view.sunsetDate),
    ).toBe(true);
    // An artist view on a track goes through the track's only relation to artists.
    expect(features.find((f) => f.view.name === "artist_stats")).toMatchObject({
      ref: "artist.artist_stats@1:track_count",
      relation: "artist",
      planKey: "artist.artist_stats@1",
      table: "fv_artist_stats_v1",
    });
    expect(problems.map((e) => e.ref)).toEqual(["qwen_analysis@2:nope"]);
    const artist = snapshot.entities.get("artist");
    if (!artist) throw new Error("no artist entity");
    const refused = resolveReferences(snapshot, artist, ["track_profile:popularity"], AT).problems;
    expect(refused.map((p) => p.detail)).toEqual([
      "track_profile:popularity belongs to entity track, which entity artist has no relation to.",
    ]);
  });

  it("serves feature services, embeddings and datasets as applied", async () => {
    const service = await getFeatureService(db.sql, "hit_predictor");
    expect(service?.features.length).toBeGreaterThanOrEqual(45);
    const lyrics = await getEmbedding(db.sql, "lyrics");
    expect(lyrics).toMatchObject({
      relation: "tracks",
      keyColumn: "id",
      vectorColumn: "lyrics_embedding",
      indexKind: "exact",
    });
    const analysis = await getEmbedding(db.sql, "analysis");
    expect(analysis).toMatchObject({ relation: "emb_analysis_v1", keyColumn: "track_id", dimension: 256 });
    const [vectors] =
      await db.sql`select count(*)::int as n, min(vector_dims(embedding)) as dims from emb_analysis_v1`;
    expect(vectors).toMatchObject({ dims: 256 });
    expect(vectors?.n).toBeGreaterThan(400);

    const dataset = await getDataset(db.sql, "public");
    if (!dataset) throw new Error("no public dataset");
    const rows = await db.sql.unsafe(dataset.query.text, bindParams(dataset.query) as never[]);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.every((r) => r.qwen_analysis__confidence > 0.5)).toBe(true);
    expect(Object.keys(rows[0] ?? {})).toEqual(["track_id", ...dataset.features.map((f) => f.column)]);
    const [short] =
      await db.sql`select array_agg(track_id) as ids from fv_track_profile_v1 where lyrics_length <= 100`;
    expect(rows.some((r) => (short?.ids ?? []).includes(r.track_id))).toBe(false);
  });

  it("on a second start applies nothing new and materializes incrementally", async () => {
    const again = await prepareDefinitions(db, { definitionsDir: SHIPPED_DEFINITIONS });
    expect(again.apply.plan.actions.filter((a) => a.action === "create")).toEqual([]);
    expect(again.runs.every((r) => r.mode === "incremental" && r.rowsWritten === 0)).toBe(true);
  });
});
