import { parquetMetadata } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatasetCardSchema } from "../../../src/api/routes/datasets/card";
import type { ColumnKind } from "../../../src/datasets/plan/columns";
import { bindParams, getDataset } from "../../../src/registry";
import {
  bytes,
  type DatasetsHarness,
  datasetsHarness,
  get,
  readArrowIpc,
  readCsv,
  readHyparquet,
  readNdjson,
  readParquetWasm,
} from "../support";
import { csvObjects, differences } from "./compare";

describe("downloads read back by independent readers hold exactly the materialized rows", () => {
  let h: DatasetsHarness;
  let expected: Record<string, unknown>[];
  let kinds: Record<string, ColumnKind>;

  beforeAll(async () => {
    h = await datasetsHarness();
    // The reference: the compiler's own dataset query over the fv_* tables, run directly.
    const dataset = await getDataset(h.db.sql, "public");
    if (!dataset) throw new Error("public is not applied");
    expected = await h.db.sql.unsafe(dataset.query.text, bindParams(dataset.query) as never[]);
    kinds = Object.fromEntries([
      ["track_id", "int"],
      ...dataset.features.map((f) => [f.column, f.type as ColumnKind]),
    ]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it("the public dataset has rows, filtered by its definition", () => {
    expect(expected.length).toBeGreaterThan(100);
    expect(expected.every((r) => (r.qwen_analysis__confidence as number) > 0.5)).toBe(true);
  });

  it("Parquet: typed columns, snappy row groups, every value — through parquet-wasm and hyparquet", async () => {
    const response = await get(h, "/v1/datasets/public/download?format=parquet");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/vnd.apache.parquet");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="public.parquet"');
    // The shared file's first download streams as it is encoded: its rows are counted as written.
    expect(response.headers.get("rapfs-rows")).toBeNull();
    const file = await bytes(response);
    const kept = await get(h, "/v1/datasets/public/download?format=parquet");
    expect(kept.headers.get("rapfs-rows")).toBe(String(expected.length));
    expect(kept.headers.get("content-length")).toBe(String(file.byteLength));
    await kept.body?.cancel();

    const wasm = readParquetWasm(file);
    expect(wasm.schema).toContain("track_id: Int32");
    expect(wasm.schema).toContain("qwen_analysis__themes: List<Utf8>");
    expect(wasm.schema).toContain("qwen_analysis__confidence: Float64");
    expect(differences(wasm.rows, expected, kinds, "arrow")).toEqual([]);
    expect(differences(await readHyparquet(file), expected, kinds, "hyparquet")).toEqual([]);

    const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
    const meta = parquetMetadata(buffer);
    const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((e) => [e.key, e.value]));
    expect(kv["rapfs.license"]).toMatch(/CC-BY-4.0/);
    expect(kv["rapfs.dataset"]).toBe("public");
    expect(meta.row_groups[0]?.columns[1]?.meta_data?.codec).toBe("SNAPPY");
  });

  it("a download with no rows (public as of before the first track) is a valid empty file in every format", async () => {
    for (const format of ["parquet", "arrow", "csv", "json"]) {
      const response = await get(
        h,
        `/v1/datasets/public/download?format=${format}&as_of=2000-01-01T00:00:00Z`,
      );
      expect(response.status, format).toBe(200);
      // Answered before the point-in-time work: its rows (none) are not known yet.
      expect(response.headers.get("rapfs-rows")).toBeNull();
      const file = await bytes(response);
      if (format === "parquet") {
        const { rows, schema } = readParquetWasm(file);
        expect(rows).toEqual([]);
        expect(schema.length).toBe(Object.keys(kinds).length);
      }
      if (format === "arrow") expect(readArrowIpc(file).rows).toEqual([]);
      if (format === "csv") expect(readCsv(file).rows).toEqual([]);
      if (format === "json") expect(readNdjson(file)).toEqual([]);
    }
  });

  it("Arrow IPC stream: the same values, with the licence in the schema metadata", async () => {
    const response = await get(h, "/v1/datasets/public/download?format=arrow");
    expect(response.headers.get("content-type")).toBe("application/vnd.apache.arrow.stream");
    const arrow = readArrowIpc(await bytes(response));
    expect(differences(arrow.rows, expected, kinds, "arrow")).toEqual([]);
    expect(arrow.metadata.get("rapfs.license")).toMatch(/CC-BY-4.0/);
  });

  it("CSV: RFC 4180 with a header row, lists bracketed, NULL as an empty field", async () => {
    const response = await get(h, "/v1/datasets/public/download?format=csv");
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8; header=present");
    const file = await bytes(response);
    expect(Buffer.from(file).toString("utf8").split("\r\n")[0]).toBe(Object.keys(kinds).join(","));
    const csv = readCsv(file);
    expect(csv.header).toEqual(Object.keys(kinds));
    expect(differences(csvObjects(csv), expected, kinds, "csv")).toEqual([]);
  });

  it("NDJSON: one object per line with the JSON API's types, streamed", async () => {
    const response = await get(h, "/v1/datasets/public/download?format=json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="public.ndjson"');
    const rows = readNdjson(await bytes(response));
    expect(rows.length).toBe(expected.length);
    expect(Object.keys(rows[0] ?? {})).toEqual(Object.keys(kinds));
    expect(typeof rows[0]?.track_id).toBe("number");
    expect(Array.isArray(rows[0]?.qwen_analysis__themes)).toBe(true);
    expect(differences(rows, expected, kinds, "json")).toEqual([]);
  });

  it("embeddings as FixedSizeList<float32>, timestamps as microseconds, a pinned version and a limit", async () => {
    const refs = "qwen_analysis@2:analyzed_at,qwen_analysis@1:mood,track_profile:genres";
    const query = `features=${refs}&embeddings=lyrics,analysis&limit=25`;
    const reference = await h.db.sql`
      select q.track_id, q.analyzed_at as qwen_analysis__analyzed_at, q1.mood as qwen_analysis__mood,
        p.genres as track_profile__genres, t.lyrics_embedding::real[] as lyrics_embedding,
        e.embedding::real[] as analysis_embedding
      from fv_qwen_analysis_v2 q join fv_qwen_analysis_v1 q1 using (track_id) join fv_track_profile_v1 p using (track_id)
      join tracks t on t.id = q.track_id left join emb_analysis_v1 e on e.track_id = q.track_id
      order by q.track_id limit 25`;
    const columns: Record<string, ColumnKind> = {
      track_id: "int",
      qwen_analysis__analyzed_at: "timestamp",
      qwen_analysis__mood: "string",
      track_profile__genres: "string[]",
      lyrics_embedding: "vector",
      analysis_embedding: "vector",
    };
    const parquetFile = await bytes(await get(h, `/v1/datasets/public/download?${query}&format=parquet`));
    const wasm = readParquetWasm(parquetFile);
    expect(wasm.schema).toContain("lyrics_embedding: FixedSizeList[384]<Float32>");
    expect(wasm.schema).toContain("qwen_analysis__analyzed_at: Timestamp<MICROSECOND, UTC>");
    expect(differences(wasm.rows, reference, columns, "arrow")).toEqual([]);
    expect(differences(await readHyparquet(parquetFile), reference, columns, "hyparquet")).toEqual([]);
    const arrow = readArrowIpc(
      await bytes(await get(h, `/v1/datasets/public/download?${query}&format=arrow`)),
    );
    expect(differences(arrow.rows, reference, columns, "arrow")).toEqual([]);
    const csv = readCsv(await bytes(await get(h, `/v1/datasets/public/download?${query}&format=csv`)));
    expect(differences(csvObjects(csv), reference, columns, "csv")).toEqual([]);
    const json = readNdjson(await bytes(await get(h, `/v1/datasets/public/download?${query}&format=json`)));
    expect(json[0]?.qwen_analysis__analyzed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(differences(json, reference, columns, "json")).toEqual([]);
  });

  it("a feature service downloads as service:<name>, every row of its views", async () => {
    const response = await get(h, "/v1/datasets/service:hit_predictor/download?format=arrow");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe(
      'attachment; filename="service-hit_predictor.arrows"',
    );
    const arrow = readArrowIpc(await bytes(response));
    const [count] = await h.db.sql`
      select count(*)::int as n from fv_track_profile_v1 join fv_qwen_analysis_v2 using (track_id)
        join fv_emotion_scores_v1 using (track_id) join fv_algorithmic_metrics_v1 using (track_id)
        join fv_analyzer_consensus_v1 using (track_id)`;
    expect(arrow.rows.length).toBe(count?.n);
    expect(Object.keys(arrow.rows[0] ?? {})).toContain("analyzer_consensus__mean_quality");
  });

  it("the card describes exactly those rows: schema, licence, count, null rates, ranges, duplicates", async () => {
    const response = await get(h, "/v1/datasets/public");
    expect(response.status).toBe(200);
    const card = DatasetCardSchema.parse(await response.json());
    expect(card.rows).toBe(expected.length);
    expect(card.license).toMatch(/CC-BY-4.0/);
    expect(card.columns.map((c) => c.name)).toEqual(Object.keys(kinds));
    const popularity = expected.map((r) => r.track_profile__popularity as number | null);
    const present = popularity.filter((v): v is number => v !== null);
    const column = card.columns.find((c) => c.name === "track_profile__popularity");
    expect(column?.null_rate).toBeCloseTo(1 - present.length / popularity.length, 12);
    expect(column?.min).toBe(Math.min(...present));
    expect(column?.max).toBe(Math.max(...present));
    expect(card.columns.find((c) => c.name === "qwen_analysis__confidence")?.description).toMatch(
      /confidence/,
    );
    expect(card.filters).toEqual([
      { feature: "qwen_analysis@2:confidence", op: ">", value: 0.5 },
      { feature: "track_profile@1:lyrics_length", op: ">", value: 100 },
    ]);
    expect(card.quality.duplicates?.columns).toEqual(["artist", "title"]);
    const ids = expected.map((r) => r.track_id as number);
    const pairs = await h.db.sql<{ n: number }[]>`
      select count(*)::float8 as n from tracks where id = any(${ids}::int[])
      group by lower(artist), lower(title) having count(*) > 1`;
    expect(pairs.length).toBeGreaterThan(0);
    expect(card.quality.duplicates?.groups).toBe(pairs.length);
    expect(card.quality.duplicates?.rows).toBe(pairs.reduce((sum, p) => sum + p.n, 0));
    expect(card.version).toMatch(/^[0-9a-f]{16}$/);
    expect(card.built_at).not.toBeNull();
    const again = await (await get(h, "/v1/datasets/public")).json();
    expect(again.generated_at).toBe(card.generated_at); // cached until a source is re-materialized
  });
});
