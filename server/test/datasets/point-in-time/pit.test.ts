import { tableFromArrays, tableToIPC } from "apache-arrow";
import * as parquet from "parquet-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { materializeAll } from "../../../src/materialize/runner";
import { type Analysis, expectedQwenV2, latestPerTrack, rawAnalyses } from "../../materialize/corpus";
import { bytes, type DatasetsHarness, datasetsHarness, get, readArrowIpc } from "../support";

const QWEN = "qwen-3-4b-fp8";
const FEATURES = [
  "sentiment",
  "confidence",
  "themes",
  "mood",
  "quality",
  "hit_potential",
  "model_version",
  "analyzed_at",
];
const refs = FEATURES.map((f) => `qwen_analysis@2:${f}`).join(",");

type Upload = { track_id: number; event_timestamp: string; label: string | number };

describe("point-in-time training data: features only from analyses created at or before each row's timestamp", () => {
  let h: DatasetsHarness;
  let track: number;
  let original: Analysis;
  let rerunAt: Date;

  const train = async (rows: Upload[], query = `features=${refs}`) => {
    const response = await get(h, `/v1/datasets/training?${query}&format=arrow`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(rows),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return readArrowIpc(await bytes(response)).rows;
  };

  beforeAll(async () => {
    h = await datasetsHarness();
    const latest = latestPerTrack(await rawAnalyses(h.db, QWEN));
    original = [...latest.values()].sort((a, b) => a.track_id - b.track_id)[3] as Analysis;
    track = original.track_id;
    // A re-analysis a day later with values no earlier analysis has.
    rerunAt = new Date(original.created_at.getTime() + 86_400_000);
    await h.db.sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, themes, analysis_data, created_at,
        complexity_score, processing_time_ms, model_version)
      values (${track}, ${QWEN}, 'NEGATIVE', 0.99, 'leak', ${h.db.sql.json({ mood: "LEAKED", themes: ["leak"], quality_score: 10, commercial_potential: 1, viral_potential: 1, longevity: 1 })},
        ${rerunAt.toISOString()}, 0.5, 10, 'leak-test')`;
    // Full: the re-analysis is older than the watermark an incremental run would start from.
    await materializeAll(h.db.sql, { full: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("instants keep their microseconds: a row a microsecond before an analysis does not see it, one at it does", async () => {
    // Sent as timestamp parameters, postgres.js made each instant a JS Date: milliseconds, so
    // .000499 became .000, and in the process's local zone.
    await h.db.sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, analysis_data, created_at, model_version)
      values (${track}, ${QWEN}, 'positive', 0.9, '{}', '2031-01-01 00:00:00.000500', 'microsecond')`;
    try {
      const rows = await train(
        ["2031-01-01T00:00:00.000499Z", "2031-01-01T00:00:00.000500Z"].map((event_timestamp, label) => ({
          track_id: track,
          event_timestamp,
          label,
        })),
        "features=qwen_analysis@2:model_version",
      );
      expect(rows.map((r) => r.qwen_analysis__model_version)).toEqual(["leak-test", "microsecond"]);
    } finally {
      await h.db.sql`delete from analysis_results where model_version = 'microsecond'`;
    }
  });

  it("the current download already shows the re-analysis", async () => {
    const file = await bytes(
      await get(h, `/v1/datasets/public/download?features=qwen_analysis@2:mood&format=arrow`),
    );
    const row = readArrowIpc(file).rows.find((r) => r.track_id === track);
    expect(row?.qwen_analysis__mood).toBe("leaked");
  });

  it("a re-analysis after the timestamp never leaks into the row; at or after it, it is used", async () => {
    const at = (ms: number) => new Date(ms).toISOString();
    const t0 = original.created_at.getTime();
    const rows = await train([
      { track_id: track, event_timestamp: at(t0 - 1000), label: "before" },
      { track_id: track, event_timestamp: at(t0 + 3_600_000), label: "between" },
      { track_id: track, event_timestamp: at(rerunAt.getTime()), label: "at" },
      { track_id: track, event_timestamp: at(rerunAt.getTime() + 1000), label: "after" },
    ]);
    expect(rows.map((r) => r.label)).toEqual(["before", "between", "at", "after"]);
    const [before, between, atRerun, after] = rows;
    expect(between?.qwen_analysis__mood).toBe(original.analysis_data?.mood?.toString().toLowerCase());
    expect(between?.qwen_analysis__model_version).toBe(original.model_version);
    expect(between?.qwen_analysis__mood).not.toBe("leaked");
    expect(before?.qwen_analysis__mood).not.toBe(between?.qwen_analysis__mood ?? "none");
    expect(atRerun?.qwen_analysis__mood).toBe("leaked");
    expect(after?.qwen_analysis__mood).toBe("leaked");
    expect(after?.qwen_analysis__model_version).toBe("leak-test");
  });

  it("every feature of 300 shuffled (track, timestamp) rows matches values computed from the raw analyses", async () => {
    const analyses = await rawAnalyses(h.db, QWEN);
    const times = analyses.map((a) => a.created_at.getTime());
    const [lo, hi] = [Math.min(...times), Math.max(...times)];
    const tracks = [...new Set(analyses.map((a) => a.track_id))];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const upload: Upload[] = Array.from({ length: 300 }, (_, i) => ({
      track_id: tracks[Math.floor(random() * tracks.length)] as number,
      event_timestamp: new Date(lo - 86_400_000 + random() * (hi - lo + 2 * 86_400_000)).toISOString(),
      label: i,
    }));
    const rows = await train(upload);
    expect(rows.map((r) => r.label)).toEqual(upload.map((u) => u.label));
    const problems: string[] = [];
    upload.forEach((u, i) => {
      const asOf = new Date(u.event_timestamp);
      const byTrack = analyses.filter((a) => a.track_id === u.track_id);
      const latest = latestPerTrack(byTrack, asOf).get(u.track_id);
      const want = latest ? (expectedQwenV2(latest) as Record<string, unknown>) : undefined;
      const got = rows[i] ?? {};
      expect(got.track_id).toBe(u.track_id);
      expect(got.event_timestamp).toBe(asOf.getTime());
      for (const f of FEATURES) {
        let value = want?.[f] ?? null;
        if (value instanceof Date) value = value.getTime();
        const actual = got[`qwen_analysis__${f}`] ?? null;
        const same =
          typeof value === "number" && typeof actual === "number"
            ? Math.abs(value - actual) < 1e-9
            : JSON.stringify(actual) === JSON.stringify(value);
        if (!same && problems.length < 10)
          problems.push(`row ${i} ${f}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(value)}`);
      }
    });
    expect(problems).toEqual([]);
  });

  it("as_of downloads: before and after the re-analysis give different values", async () => {
    const between = new Date(original.created_at.getTime() + 3_600_000).toISOString();
    const after = new Date(rerunAt.getTime() + 1000).toISOString();
    const read = async (asOf: string) => {
      const path = `/v1/datasets/public/download?features=qwen_analysis@2:mood&as_of=${encodeURIComponent(asOf)}&format=arrow`;
      const response = await get(h, path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-disposition")).toMatch(/public-as-of-\d{8}T\d{6}\.arrows/);
      return readArrowIpc(await bytes(response)).rows;
    };
    const [early, late] = [await read(between), await read(after)];
    expect(early.find((r) => r.track_id === track)?.qwen_analysis__mood).toBe(
      original.analysis_data?.mood?.toString().toLowerCase(),
    );
    expect(late.find((r) => r.track_id === track)?.qwen_analysis__mood).toBe("leaked");
    // Tracks analysed between the two times appear only in the later one.
    expect(late.length).toBeGreaterThanOrEqual(early.length);
  });

  it("uploads in JSON, CSV and Parquet give the same rows; labels keep their type", async () => {
    const upload = [
      { track_id: track, event_timestamp: "2025-12-31T00:00:00Z", label: 1.5 },
      { track_id: 999_999, event_timestamp: "2025-12-31", label: 0 },
    ];
    const json = await train(upload, "features=qwen_analysis@2:mood");
    const csv =
      "track_id,event_timestamp,label\r\n" +
      upload.map((u) => `${u.track_id},${u.event_timestamp},${u.label}`).join("\r\n");
    const response = await get(h, "/v1/datasets/training?features=qwen_analysis@2:mood&format=arrow", {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: csv,
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const fromCsv = readArrowIpc(await bytes(response)).rows;
    expect(fromCsv).toEqual(json);
    const table = tableFromArrays({
      track_id: Int32Array.from(upload.map((u) => u.track_id)),
      event_timestamp: upload.map((u) => u.event_timestamp),
      label: Float64Array.from(upload.map((u) => u.label)),
    });
    const file = parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, "stream")));
    const fromParquet = await get(h, "/v1/datasets/training?features=qwen_analysis@2:mood&format=arrow", {
      method: "POST",
      headers: { "content-type": "application/vnd.apache.parquet" },
      body: Buffer.from(file),
    });
    expect(fromParquet.status, await fromParquet.clone().text()).toBe(200);
    expect(readArrowIpc(await bytes(fromParquet)).rows).toEqual(json);
    expect(json[0]?.label).toBe(1.5);
    // An id the corpus does not have keeps its row, with null features (as Feast does).
    expect(json[1]).toMatchObject({ track_id: 999_999, qwen_analysis__mood: null });
  });
});
