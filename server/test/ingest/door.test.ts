import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProblemSchema } from "../../src/api/errors";
import {
  type IngestRequest,
  IngestResultSchema,
  registerIngestAnalyses,
} from "../../src/api/routes/ingest/analyses";
import { type AccessApp, startAccessApp } from "../access-http/app";
import { corpusCounts, databaseNow, seedTracks, unitVector, utcMs } from "./support";

const PATH = "/v1/admin/analyses";

let t: AccessApp;
let tracks: number[];
beforeAll(async () => {
  t = await startAccessApp({ routes: [registerIngestAnalyses] });
  tracks = await seedTracks(t.db.sql, 4);
});
afterAll(() => t?.close());

const post = (body: unknown, key = t.adminKey) => t.call("POST", PATH, { key, body });

async function problemOf(res: Response) {
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return ProblemSchema.parse(await res.json());
}

describe("POST /v1/admin/analyses", () => {
  it("writes a batch and answers 201 with the ids and the created_at the server stamped", async () => {
    const before = await databaseNow(t.db.sql);
    const body: IngestRequest = {
      tracks: [{ title: "New One", artist: "Newcomer", audio_embedding: unitVector(128, 1) }],
      analyses: [
        {
          track_id: tracks[0] as number,
          analyzer_type: "emotion-distilroberta",
          sentiment: "positive",
          confidence: 0.61,
          analysis_data: { joy: 0.61, sadness: 0.39, dominant: "joy" },
          model_version: "emotion-distilroberta@2.0",
        },
        {
          track_id: tracks[1] as number,
          analyzer_type: "gemma-3-27b-it",
          created_at: "2025-03-01T10:00:00Z",
        },
      ],
    };
    const res = await post(body);
    expect(res.status).toBe(201);
    const written = IngestResultSchema.parse(await res.json());
    expect([written.tracks.count, written.analyses.count]).toEqual([1, 2]);
    const stamped = utcMs(written.analyses.created_at[0] as string);
    expect(stamped).toBeGreaterThanOrEqual(Math.floor(before));
    expect(stamped).toBeLessThanOrEqual(Math.ceil(await databaseNow(t.db.sql)));
    expect(written.analyses.created_at[1]).toBe("2025-03-01T10:00:00.000000");
    const [row] = await t.db.sql<{ data: unknown; version: string }[]>`
      select analysis_data as data, model_version as version from analysis_results
      where id = ${written.analyses.ids[0] as number}`;
    expect(row).toEqual({
      data: { joy: 0.61, sadness: 0.39, dominant: "joy" },
      version: "emotion-distilroberta@2.0",
    });
  });

  it("refuses every kind of bad row at once, one error per bad field, and writes nothing", async () => {
    const counts = await corpusCounts(t.db.sql);
    const ok = { track_id: tracks[2], analyzer_type: "algorithmic" };
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const res = await post({
      tracks: [{ title: "x".repeat(501), artist: "ok" }],
      analyses: [
        ok,
        { ...ok, confidence: "high" },
        { ...ok, analyzer_type: "gpt-5" },
        { ...ok, track_id: 987_654 },
        { ...ok, analyzer_type: "qwen-3-4b-fp8", analysis_embedding: [0.1, 0.2] },
        { ...ok, sentiment: "posi\u0000tive" },
        { ...ok, analysis_data: { note: "a\u0000b" } },
        { ...ok, created_at: future },
        { ...ok, processing_time_ms: 1.5, analyser: "typo" },
        "not a row",
        { ...ok, sentiment: "sad\ud800" },
      ],
    });
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.detail).toContain("Nothing was written");
    expect(problem.errors?.map((e) => [e.pointer, e.code])).toEqual([
      ["#/tracks/0/title", "too_big"],
      ["#/analyses/1/confidence", "invalid_type"],
      ["#/analyses/2/analyzer_type", "invalid_value"],
      ["#/analyses/3/track_id", "not_found"],
      ["#/analyses/4/analysis_embedding", "too_small"],
      ["#/analyses/5/sentiment", "nul_byte"],
      ["#/analyses/6/analysis_data", "nul_byte"],
      ["#/analyses/7/created_at", "future_timestamp"],
      ["#/analyses/8/processing_time_ms", "invalid_type"],
      ["#/analyses/8/analyser", "unrecognized_keys"],
      ["#/analyses/9", "invalid_type"],
      ["#/analyses/10/sentiment", "lone_surrogate"],
    ]);
    expect(problem.errors?.find((e) => e.pointer === "#/analyses/3/track_id")?.detail).toContain(
      "track 987654 does not exist",
    );
    expect(await corpusCounts(t.db.sql)).toEqual(counts);
  });

  it("writes a batch sent again under its Idempotency-Key once, answering the first write's result", async () => {
    const counts = await corpusCounts(t.db.sql);
    // A given track id: written once, the batch would fail its own checks the second time.
    const body = {
      tracks: [{ id: 7_001, title: "Retried", artist: "Someone" }],
      analyses: [{ track_id: 7_001, analyzer_type: "algorithmic", analysis_data: { word_count: 9 } }],
    };
    const headers = { "idempotency-key": "door-retry-0001" };
    const first = await t.call("POST", PATH, { key: t.adminKey, body, headers });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const again = await t.call("POST", PATH, { key: t.adminKey, body, headers });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());
    expect(await corpusCounts(t.db.sql)).toEqual({
      tracks: counts.tracks + 1,
      analyses: counts.analyses + 1,
    });
    // Without the key, the same batch is a new write, refused here: track 7001 exists.
    const anew = await post(body);
    expect(anew.status).toBe(400);
    expect((await problemOf(anew)).errors?.[0]?.pointer).toBe("#/tracks/0/id");
  });

  it("replays a batch sent again with its keys in another order, not 409", async () => {
    const counts = await corpusCounts(t.db.sql);
    const headers = { "idempotency-key": "door-reordered-0001" };
    const row = {
      track_id: tracks[2],
      analyzer_type: "emotion-distilroberta",
      analysis_data: { joy: 0.7, sadness: 0.3, dominant: "joy" },
    };
    const first = await t.call("POST", PATH, { key: t.adminKey, body: { analyses: [row] }, headers });
    expect(first.status).toBe(201);
    // The same rows, each object spelled in the reverse key order (a client's serializer may).
    const reversed = {
      analyses: [
        {
          analysis_data: { dominant: "joy", sadness: 0.3, joy: 0.7 },
          analyzer_type: row.analyzer_type,
          track_id: row.track_id,
        },
      ],
    };
    const again = await t.call("POST", PATH, { key: t.adminKey, body: reversed, headers });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());
    expect(await corpusCounts(t.db.sql)).toEqual({ tracks: counts.tracks, analyses: counts.analyses + 1 });
  });

  it("writes the same batch sent twice at once under one key once", async () => {
    const counts = await corpusCounts(t.db.sql);
    const body = { analyses: [{ track_id: tracks[3], analyzer_type: "algorithmic" }] };
    const headers = { "idempotency-key": "door-race-0001" };
    const answers = await Promise.all(
      [1, 2].map(() => t.call("POST", PATH, { key: t.adminKey, body, headers })),
    );
    expect(answers.map((res) => res.status)).toEqual([201, 201]);
    const [a, b] = await Promise.all(answers.map((res) => res.json()));
    expect(a).toEqual(b);
    expect(answers.filter((res) => res.headers.get("idempotent-replayed") === "true")).toHaveLength(1);
    expect(await corpusCounts(t.db.sql)).toEqual({ tracks: counts.tracks, analyses: counts.analyses + 1 });
  });

  it("refuses a key used for another batch (409) or malformed (400), writing nothing", async () => {
    const headers = { "idempotency-key": "door-reuse-0001" };
    const one = { analyses: [{ track_id: tracks[0], analyzer_type: "algorithmic" }] };
    expect((await t.call("POST", PATH, { key: t.adminKey, body: one, headers })).status).toBe(201);
    const counts = await corpusCounts(t.db.sql);
    const other = { analyses: [{ track_id: tracks[1], analyzer_type: "algorithmic" }] };
    const reused = await t.call("POST", PATH, { key: t.adminKey, body: other, headers });
    expect(reused.status).toBe(409);
    expect((await problemOf(reused)).detail).toContain("was used for another batch");
    for (const key of ["has space", "x".repeat(256), "tab\tkey"]) {
      const res = await t.call("POST", PATH, {
        key: t.adminKey,
        body: other,
        headers: { "idempotency-key": key },
      });
      expect(res.status).toBe(400);
      expect((await problemOf(res)).errors?.[0]?.pointer).toContain("idempotency-key");
    }
    expect(await corpusCounts(t.db.sql)).toEqual(counts);
  });

  it("refuses a body that is not UTF-8, pointing at the byte, instead of storing U+FFFD", async () => {
    const counts = await corpusCounts(t.db.sql);
    const text = JSON.stringify({
      analyses: [{ track_id: tracks[0], analyzer_type: "algorithmic", sentiment: "XX" }],
    });
    const bytes = Buffer.from(text, "utf8");
    const at = bytes.indexOf("XX");
    bytes[at] = 0xff; // never valid in UTF-8
    const res = await t.app.request(PATH, {
      method: "POST",
      headers: { authorization: `Bearer ${t.adminKey}`, "content-type": "application/json" },
      body: bytes,
    });
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem.code).toBe("MALFORMED_JSON");
    expect(problem.detail).toContain(`byte ${at} (0xff)`);
    expect(await corpusCounts(t.db.sql)).toEqual(counts);
  });

  it("refuses a batch over 5,000 rows, saying to split it", async () => {
    const analyses = Array.from({ length: 5_001 }, () => ({
      track_id: tracks[0],
      analyzer_type: "algorithmic",
    }));
    const res = await post({ analyses });
    expect(res.status).toBe(413);
    expect((await problemOf(res)).detail).toContain("Split it");
  });

  it("is refused to a key without the admin scope, before the body is read", async () => {
    const { key } = await t.signup("ingest-not-admin@example.com");
    const res = await post({ analyses: [{ track_id: tracks[0], analyzer_type: "algorithmic" }] }, key);
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('scope="admin"');
    expect((await t.call("POST", PATH, { body: {} })).status).toBe(401);
  });
});
