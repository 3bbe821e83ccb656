import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planDownload } from "../../src/datasets/plan/dataset-plan";
import { DomainError } from "../../src/errors";
import { type DatasetsHarness, datasetsHarness, expectProblem, get } from "./support";

const training = (
  h: DatasetsHarness,
  body: BodyInit,
  type: string,
  query = "features=qwen_analysis@2:mood",
) => get(h, `/v1/datasets/training?${query}`, { method: "POST", headers: { "content-type": type }, body });

describe("bad requests get a 4xx problem+json that names the problem", () => {
  let h: DatasetsHarness;
  beforeAll(async () => {
    h = await datasetsHarness({ RAPFS_TRAINING_MAX_ROWS: "50", RAPFS_TRAINING_MAX_BYTES: "4096" });
  });
  afterAll(async () => {
    await h?.close();
  });

  const downloads: [string, number, string, RegExp?][] = [
    ["/v1/datasets/public/download?format=xml", 400, "VALIDATION_FAILED", /format/],
    ["/v1/datasets/public/download?limit=0", 400, "VALIDATION_FAILED", /limit/],
    ["/v1/datasets/public/download?limit=ten", 400, "VALIDATION_FAILED", /limit/],
    // Number() would read these as 1000, 16, 5 and 5: a whole number is written in digits.
    ["/v1/datasets/public/download?limit=1e3", 400, "VALIDATION_FAILED", /limit.*decimal digits/],
    ["/v1/datasets/public/download?limit=0x10", 400, "VALIDATION_FAILED", /limit.*decimal digits/],
    ["/v1/datasets/public/download?limit=%205", 400, "VALIDATION_FAILED", /limit.*decimal digits/],
    ["/v1/datasets/public/download?limit=5.0", 400, "VALIDATION_FAILED", /limit.*decimal digits/],
    ["/v1/datasets/public/download?as_of=yesterday", 400, "VALIDATION_FAILED", /as_of/],
    ["/v1/datasets/public/download?as_of=2025-02-30", 400, "VALIDATION_FAILED", /as_of/],
    ["/v1/datasets/public/download?as_of=2025-06-01T00:00:00%2B99:99", 400, "VALIDATION_FAILED", /as_of/],
    // A misspelt name was ignored: limt=5 sent (and charged) the whole dataset.
    [
      "/v1/datasets/public/download?format=csv&limt=5",
      400,
      "VALIDATION_FAILED",
      /query: Unrecognized key: "limt"/,
    ],
    ["/v1/datasets/public?offset=5", 400, "VALIDATION_FAILED", /offset/],
    ["/v1/datasets/public/download?features=nope:x", 400, "UNKNOWN_FEATURE", /no feature view nope/],
    ["/v1/datasets/public/download?features=qwen_analysis@9:*", 400, "UNKNOWN_FEATURE", /qwen_analysis@9/],
    [
      "/v1/datasets/public/download?features=qwen_analysis@2:nothing",
      400,
      "UNKNOWN_FEATURE",
      /no feature nothing/,
    ],
    [
      "/v1/datasets/public/download?features=qwen_analysis@1:mood,qwen_analysis@2:mood",
      400,
      "UNKNOWN_FEATURE",
      /collides/,
    ],
    [
      "/v1/datasets/public/download?features=label.artist_stats:*",
      400,
      "UNKNOWN_FEATURE",
      /names relation label, which entity track does not have \(its relations are artist\)/,
    ],

    [
      "/v1/datasets/public/download?service=hit_predictor&features=track_profile:energy",
      400,
      "BAD_REQUEST",
      /not both/,
    ],
    ["/v1/datasets/public/download?service=nope", 400, "UNKNOWN_FEATURE", /no feature service nope/],
    [
      "/v1/datasets/public/download?embeddings=nope",
      400,
      "UNKNOWN_FEATURE",
      /nope is not an applied embedding/,
    ],
    ["/v1/datasets/nope/download", 404, "NOT_FOUND", /no dataset nope/],
    ["/v1/datasets/service:nope/download", 404, "NOT_FOUND", /no feature service nope/],
    ["/v1/datasets/nope", 404, "NOT_FOUND"],
  ];
  it.each(downloads)("GET %s → %i %s", async (path, status, code, detail) => {
    const problem = await expectProblem(await get(h, path), status, code);
    if (detail) expect(`${problem.detail} ${JSON.stringify(problem.errors ?? [])}`).toMatch(detail);
  });

  it("unknown features are listed with a pointer to each", async () => {
    const problem = await expectProblem(
      await get(h, "/v1/datasets/public/download?features=track_profile:energy,nope:x,qwen_analysis:nothing"),
      400,
      "UNKNOWN_FEATURE",
    );
    expect(problem.errors?.map((e) => e.pointer)).toEqual(["#/features/1", "#/features/2"]);
  });

  it("a misspelt feature gets the same suggestions as an online lookup", async () => {
    const path = "features=qwen_analysis@2:sentimnt";
    const download = await expectProblem(
      await get(h, `/v1/datasets/public/download?${path}`),
      400,
      "UNKNOWN_FEATURE",
    );
    const online = await h.services.serving.features
      .resolve("track", { features: ["qwen_analysis@2:sentimnt"], in: "query", field: "features" })
      .catch((error: DomainError) => error);
    expect(download.suggestions).toEqual({ "qwen_analysis@2:sentimnt": ["qwen_analysis@2:sentiment"] });
    expect(download.suggestions).toEqual((online as DomainError).extensions.suggestions);
  });

  it("a version past its sunset is gone for datasets as for online lookups: 410", async () => {
    const source = {
      sql: h.db.sql,
      catalog: h.services.serving.catalog,
      now: () => Date.parse("2027-01-02T00:00:00Z"),
    };
    const refused = await planDownload(source, {
      dataset: "public",
      features: ["qwen_analysis@1:mood"],
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({
      code: "GONE",
      extensions: { suggestions: { "qwen_analysis@1:mood": ["qwen_analysis@2:mood"] } },
    });
    const before = { ...source, now: () => Date.parse("2026-12-30T00:00:00Z") };
    const plan = await planDownload(before, { dataset: "public", features: ["qwen_analysis@1:mood"] });
    expect(plan.features.map((f) => f.column.source)).toEqual(["qwen_analysis@1:mood"]);
  });

  it("without a key: 401", async () => {
    const response = await h.app.request("/v1/datasets/public/download");
    await expectProblem(response, 401, "UNAUTHORIZED");
  });

  const json = (rows: unknown) => JSON.stringify(rows);
  const uploads: [string, BodyInit, string, number, string, RegExp][] = [
    [
      "wrong columns",
      json([{ id: 1, event_timestamp: "2025-01-01" }]),
      "application/json",
      400,
      "VALIDATION_FAILED",
      /column track_id is missing; column id is not accepted/,
    ],
    [
      "no timestamp column",
      json([{ track_id: 1 }]),
      "application/json",
      400,
      "VALIDATION_FAILED",
      /event_timestamp is missing/,
    ],
    [
      "an unparsable timestamp",
      json([
        { track_id: 1, event_timestamp: "2025-01-01" },
        { track_id: 2, event_timestamp: "soon" },
      ]),
      "application/json",
      400,
      "VALIDATION_FAILED",
      /row 2: event_timestamp "soon" is not an ISO 8601 timestamp/,
    ],
    [
      "a non-integer id",
      "track_id,event_timestamp\r\n1,2025-01-01\r\n1.5,2025-01-01\r\n",
      "text/csv",
      400,
      "VALIDATION_FAILED",
      /row 2: track_id "1.5" is not an integer id/,
    ],
    [
      "too many rows",
      json(Array.from({ length: 51 }, (_, i) => ({ track_id: i, event_timestamp: "2025-01-01" }))),
      "application/json",
      413,
      "PAYLOAD_TOO_LARGE",
      /51 rows; at most 50/,
    ],
    [
      "too many bytes",
      json([{ track_id: 1, event_timestamp: "2025-01-01", label: "x".repeat(5000) }]),
      "application/json",
      413,
      "PAYLOAD_TOO_LARGE",
      /4096 bytes/,
    ],
    ["no rows", json([]), "application/json", 400, "VALIDATION_FAILED", /no rows/],
    ["not rows", json({ track_id: 1 }), "application/json", 400, "VALIDATION_FAILED", /problem/],
    ["malformed JSON", "[{", "application/json", 400, "MALFORMED_JSON", /JSON/],
    ["a ragged CSV", "track_id,event_timestamp\r\n1\r\n", "text/csv", 400, "VALIDATION_FAILED", /RFC 4180/],
    [
      // A Latin-1 é: read leniently, the label came back as U+FFFD, and the download was spent.
      "a CSV that is not UTF-8",
      Buffer.from("track_id,event_timestamp,label\r\n1,2025-01-01,caf\xe9\r\n", "latin1"),
      "text/csv",
      400,
      "VALIDATION_FAILED",
      /not valid UTF-8: byte 48 \(0xe9\)/,
    ],
    [
      "a file that is not Parquet",
      "PAR1 but not really",
      "application/vnd.apache.parquet",
      400,
      "VALIDATION_FAILED",
      /not a readable Parquet/,
    ],
    [
      "an unsupported media type",
      "track_id\t2025",
      "text/tab-separated-values",
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      /media type|text\/csv/i,
    ],
  ];
  it.each(uploads)("POST training with %s → %s", async (_, body, type, status, code, detail) => {
    const problem = await expectProblem(await training(h, body, type), status, code);
    expect(problem.detail).toMatch(detail);
  });

  it("an as_of with an offset is the card's instant in UTC, written with its Z like built_at (+99:99 is refused above)", async () => {
    const response = await get(h, "/v1/datasets/public?as_of=2025-06-01T02:00:00%2B02:00&limit=3");
    expect(response.status).toBe(200);
    const card = (await response.json()) as { as_of: string; built_at: string | null };
    expect(card.as_of).toBe("2025-06-01T00:00:00.000000Z");
  });

  it("POST training with a CSV holding a NUL byte → 400 naming where (a JSON upload's is refused; a CSV label's came back)", async () => {
    const label = await expectProblem(
      await training(h, "track_id,event_timestamp,label\r\n1,2025-01-01,a\u0000b\r\n", "text/csv"),
      400,
      "VALIDATION_FAILED",
    );
    expect(label.detail).toBe(
      "The CSV body holds a NUL byte (U+0000) on line 2, byte 46: no text may hold one.",
    );
    const nothingElse = await expectProblem(
      await training(h, Buffer.alloc(100), "text/csv"),
      400,
      "VALIDATION_FAILED",
    );
    expect(nothingElse.detail).toMatch(/NUL byte \(U\+0000\) on line 1, byte 0/);
  });

  it("a training upload is limited by RAPFS_TRAINING_MAX_BYTES, not by the app-wide body limit", async () => {
    // The app takes 1 KiB bodies; training uploads take 4 KiB (the harness's setting).
    const small = await datasetsHarness({ RAPFS_TRAINING_MAX_BYTES: "4096" }, { maxBodyBytes: 1_024 });
    try {
      const csv = (bytes: number) =>
        `track_id,event_timestamp\n${"1,2025-01-01T00:00:00Z\n".repeat(bytes / 23)}`;
      const within = await training(small, csv(3_000), "text/csv");
      expect(within.status).toBe(200);
      const tooLarge = await expectProblem(
        await training(small, csv(5_000), "text/csv"),
        413,
        "PAYLOAD_TOO_LARGE",
      );
      expect(tooLarge.detail).toMatch(/4096 bytes/);
      // Every other route keeps the app's limit.
      await expectProblem(
        await get(small, "/v1/features/track/batch", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ids: Array.from({ length: 400 }, (_, i) => i + 1) }),
        }),
        413,
        "PAYLOAD_TOO_LARGE",
      );
    } finally {
      await small.close();
    }
  });

  it("unknown features and a missing selection in a training request", async () => {
    const body = json([{ track_id: 1, event_timestamp: "2025-01-01" }]);
    await expectProblem(
      await training(h, body, "application/json", "features=nope:x"),
      400,
      "UNKNOWN_FEATURE",
    );
    await expectProblem(await training(h, body, "application/json", ""), 400, "BAD_REQUEST");
    await expectProblem(
      await training(h, body, "application/json", "service=mood_board&entity=planet"),
      404,
      "NOT_FOUND",
    );
  });

  it("row problems carry their row numbers in `rows`", async () => {
    const rows = [
      { track_id: "x", event_timestamp: "2025-01-01" },
      { track_id: 3, event_timestamp: "later" },
    ];
    const problem = await expectProblem(
      await training(h, json(rows), "application/json"),
      400,
      "VALIDATION_FAILED",
    );
    expect(problem.rows).toEqual([
      { row: 1, column: "track_id", detail: 'row 1: track_id "x" is not an integer id' },
      {
        row: 2,
        column: "event_timestamp",
        detail: 'row 2: event_timestamp "later" is not an ISO 8601 timestamp',
      },
    ]);
  });
});
