import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../src/errors";
import type { RunningServer } from "../../src/runtime/start-server";
import { createServing } from "../../src/serving";
import { ADMIN_KEY, type Call, call, problem, startServing } from "./support";

let server: RunningServer;

beforeAll(async () => {
  server = await startServing();
});
afterAll(async () => {
  await server?.shutdown("test done");
});

const get = (path: string) => call(server, path);
const batch = (entity: string, body: unknown) => call(server, `/v1/features/${entity}/batch`, { json: body });

describe("feature requests that cannot be served get a 4xx problem+json", () => {
  it("bad ids, in the path and in a batch", async () => {
    for (const id of ["abc", "1.5", "99999999999", "0x10"]) {
      const p = problem(
        await get(`/v1/features/track/${id}?features=track_profile:energy`),
        400,
        "VALIDATION_FAILED",
      );
      expect(p.errors?.[0]?.path).toEqual(["id"]);
    }
    const mixed = problem(
      await batch("track", { ids: [1, "7", 1.5, 2], features: ["track_profile:energy"] }),
      400,
    );
    expect(mixed.errors?.map((e) => e.path)).toEqual([
      ["ids", 1],
      ["ids", 2],
    ]);
    const types = problem(
      await batch("track", { ids: [1, true, {}], features: ["track_profile:energy"] }),
      400,
    );
    expect(types.errors?.map((e) => e.path[1])).toEqual([1, 2]);
    problem(
      await batch("artist", { ids: [12], features: ["artist_stats:track_count"] }),
      400,
      "VALIDATION_FAILED",
    );
    problem(await batch("artist", { ids: ["x".repeat(201)], features: ["artist_stats:track_count"] }), 400);
    problem(await batch("track", { ids: [], features: ["track_profile:energy"] }), 400, "VALIDATION_FAILED");
  });

  it("an oversized batch, naming the limit", async () => {
    const ids = Array.from({ length: 1_001 }, (_, i) => i + 1);
    const p = problem(
      await batch("track", { ids, features: ["track_profile:energy"] }),
      400,
      "VALIDATION_FAILED",
    );
    expect(p.errors?.[0]?.path).toEqual(["ids"]);
    expect(p.errors?.[0]?.detail).toContain("1000");
  });

  it("hundreds of unknown features get close matches for the first 20 only: each costs edit distances", async () => {
    const features = Array.from({ length: 500 }, (_, i) => `track_profile:energy_${i}`);
    const p = problem(await batch("track", { ids: [1], features }), 400, "UNKNOWN_FEATURE");
    const suggestions = p.suggestions as Record<string, string[]>;
    expect(suggestions["track_profile:energy_0"]).toContain("track_profile:energy");
    expect(Object.values(suggestions).filter((s) => s.length > 0)).toHaveLength(20);
  });

  it("unknown entity (404), feature, view, version and service (400 with close matches)", async () => {
    const entity = problem(
      await get("/v1/features/tracks/1?features=track_profile:energy"),
      404,
      "NOT_FOUND",
    );
    expect(entity.suggestions).toEqual(["track"]);
    problem(await batch("album", { ids: [1], features: ["x:y"] }), 404, "NOT_FOUND");

    const cases: [string, string[]][] = [
      ["qwen_analysis@2:sentimnt", ["qwen_analysis@2:sentiment"]],
      ["qwen_analysys:sentiment", ["qwen_analysis:sentiment"]],
      ["qwen_analysis@9:sentiment", ["qwen_analysis@1:sentiment", "qwen_analysis@2:sentiment"]],
      ["qwen_analysis@1:theme_count", ["qwen_analysis@2:theme_count"]],
    ];
    for (const [ref, suggestions] of cases) {
      const p = problem(await get(`/v1/features/track/1?features=${ref}`), 400, "UNKNOWN_FEATURE");
      expect((p.suggestions as Record<string, string[]>)[ref]).toEqual(suggestions);
    }
    const several = problem(
      await batch("track", {
        ids: [1],
        features: ["track_profile:energy", "nope:x", "qwen analysis", "label.artist_stats:track_count"],
      }),
      400,
      "UNKNOWN_FEATURE",
    );
    expect(several.errors?.map((e) => e.path)).toEqual([
      ["features", 1],
      ["features", 2],
      ["features", 3],
    ]);
    expect(several.errors?.[2]?.detail).toContain("names relation label, which entity track does not have");
    const service = problem(await get("/v1/features/track/1?service=hit_predictr"), 400, "UNKNOWN_FEATURE");
    expect(service.suggestions).toEqual({ hit_predictr: ["hit_predictor"] });
    problem(await get("/v1/features/artist/x?service=hit_predictor"), 400, "UNKNOWN_FEATURE");
  });

  it("features and service together, or neither, or only commas", async () => {
    problem(
      await get("/v1/features/track/1?features=track_profile:energy&service=mood_board"),
      400,
      "VALIDATION_FAILED",
    );
    problem(await get("/v1/features/track/1"), 400, "VALIDATION_FAILED");
    problem(await get("/v1/features/track/1?features=,,,"), 400, "VALIDATION_FAILED");
    problem(await batch("track", { ids: [1] }), 400, "VALIDATION_FAILED");
    problem(await batch("track", { ids: [1], features: ["a:b"], format: "csv" }), 400, "VALIDATION_FAILED");
  });

  it("malformed JSON, a body that is not an object, a body that is not JSON", async () => {
    const headers = { "content-type": "application/json" };
    problem(
      await call(server, "/v1/features/track/batch", { method: "POST", headers, body: '{"ids": [1,' }),
      400,
      "MALFORMED_JSON",
    );
    problem(await call(server, "/v1/features/track/batch", { method: "POST", headers, body: "[1, 2]" }), 400);
    const text = await call(server, "/v1/features/track/batch", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "ids=1",
    });
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
    expect(text.headers.get("content-type")).toBe("application/problem+json");
  });

  it("a compressed body is 415, not read as if it were not (a gzipped batch was 'not valid UTF-8')", async () => {
    const json = JSON.stringify({ ids: [1], features: ["track_profile:energy"] });
    const send = (encoding: string, body: BodyInit) =>
      call(server, "/v1/features/track/batch", {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": encoding },
        body,
      });
    const gzipped = problem(await send("gzip", gzipSync(json)), 415, "UNSUPPORTED_MEDIA_TYPE");
    expect(gzipped.detail).toContain('Content-Encoding "gzip" is not accepted');
    problem(await send("br", json), 415, "UNSUPPORTED_MEDIA_TYPE");
    expect((await send("identity", json)).status).toBe(200);
  });

  it("a zero vector under cosine has no direction: 400 naming it, where it once answered no neighbours", async () => {
    const search = (json: unknown) => call(server, "/v1/embeddings/lyrics/search", { json });
    const zero = Array.from({ length: 384 }, () => 0);
    const p = problem(await search({ vector: zero, k: 3 }), 400, "VALIDATION_FAILED");
    expect(p.errors).toEqual([expect.objectContaining({ path: ["vector"], code: "zero_vector" })]);
    problem(await search({ vector: zero, k: 3, metric: "cosine" }), 400, "VALIDATION_FAILED");
    // Components whose float32 squares underflow sum to a length of 0 in pgvector too.
    const tiny = Array.from({ length: 384 }, () => 1e-30);
    problem(await search({ vector: tiny, k: 3 }), 400, "VALIDATION_FAILED");
    // Under L2 or inner product a zero vector is a point like any other.
    const l2 = await search({ vector: zero, k: 3, metric: "l2" });
    expect(l2.status).toBe(200);
    expect((l2.body as { neighbors: unknown[] }).neighbors).toHaveLength(3);
  });

  it("a vector too long for float32 distances: 400 naming it, where it was a 500 or the first ids", async () => {
    const search = (json: unknown) => call(server, "/v1/embeddings/lyrics/search", { json });
    const along = (first: number) => Array.from({ length: 384 }, (_, i) => (i === 0 ? first : 0.01));
    // 1e39 is no float32 (PostgreSQL refused its cast: a 500); 2e19 squared overflows the
    // float32 length, so every cosine was 1 and every l2 Infinity, answered as ids 1, 2, 3.
    for (const first of [1e39, -1e39, 3.5e38, 2e19])
      for (const metric of ["cosine", "l2", "inner_product"]) {
        const p = problem(await search({ vector: along(first), k: 3, metric }), 400, "VALIDATION_FAILED");
        expect(p.errors).toEqual([expect.objectContaining({ path: ["vector"], code: "vector_too_long" })]);
      }
    // Within the bound, the same direction is served, and a cosine search ignores the scale.
    const near = await search({ vector: along(1e18).map((x) => x * 1), k: 3 });
    const same = await search({ vector: along(1e18).map((x) => x / 1e18), k: 3 });
    expect(near.status).toBe(200);
    const ids = (r: typeof near) => (r.body as { neighbors: { id: unknown }[] }).neighbors.map((n) => n.id);
    expect(ids(near)).toEqual(ids(same));
  });

  it("a retired version is 410 GONE; a view with every version retired too", async () => {
    const { sql } = server.services;
    await sql`update rapfs_feature_views set status = 'retired' where name = 'gemma_analysis'`;
    server.services.serving.catalog.invalidate();
    try {
      const pinned = problem(
        await get("/v1/features/track/1?features=gemma_analysis@1:sentiment"),
        410,
        "GONE",
      );
      expect(pinned.detail).toContain("retired");
      problem(await get("/v1/features/track/1?features=gemma_analysis:sentiment"), 410, "GONE");
      // Mixed with an unknown reference, the client has something to fix first: 400.
      problem(
        await get("/v1/features/track/1?features=gemma_analysis@1:sentiment,nope:x"),
        400,
        "UNKNOWN_FEATURE",
      );
    } finally {
      await sql`update rapfs_feature_views set status = 'active' where name = 'gemma_analysis'`;
      server.services.serving.catalog.invalidate();
    }
    expect((await get("/v1/features/track/1?features=gemma_analysis@1:sentiment")).status).toBe(200);
  });

  it("a deprecated version past its sunset is GONE", async () => {
    const { sql, onlineStore, logger } = server.services;
    const later = createServing({ sql, onlineStore, logger, now: () => Date.parse("2027-01-01T00:00:00Z") });
    const selection = { features: ["qwen_analysis@1:sentiment"], in: "query" as const, field: "features" };
    const error = await later.features.resolve("track", selection).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("GONE");
    const before = createServing({ sql, onlineStore, logger, now: () => Date.parse("2026-12-31T23:59:59Z") });
    expect((await before.features.resolve("track", selection)).deprecated).toHaveLength(1);
  });
});

describe("request bodies over HTTP (read straight from Node's stream on the online routes)", () => {
  const http = async (path: string, body: BodyInit, headers: Record<string, string> = {}): Promise<Call> => {
    const res = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json", ...headers },
      body,
      duplex: "half",
    } as RequestInit);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const request = { ids: [1, 2, 3], features: ["track_profile:energy"], format: "columns" };
  const chunked = (...parts: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
        controller.close();
      },
    });

  it("answers as in-process, whole or chunked", async () => {
    const expected = await batch("track", request);
    expect(expected.status).toBe(200);
    const whole = await http("/v1/features/track/batch", JSON.stringify(request));
    expect(whole.status).toBe(200);
    expect(whole.body).toEqual(expected.body);
    const text = JSON.stringify(request);
    const parts = await http("/v1/features/track/batch", chunked(text.slice(0, 7), text.slice(7)));
    expect(parts.body).toEqual(expected.body);
  });

  it("malformed JSON is 400, another media type 415", async () => {
    problem(await http("/v1/features/track/batch", '{"ids": [1,'), 400, "MALFORMED_JSON");
    problem(
      await http("/v1/features/track/batch", "ids=1", { "content-type": "text/plain" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
  });

  it("a body over 10 MiB is 413, declared or streamed", async () => {
    const big = `{"ids":[${"1,".repeat(5_500_000)}1]}`;
    const declared = await http("/v1/features/track/batch", big);
    problem(declared, 413, "PAYLOAD_TOO_LARGE");
    const half = big.length / 2;
    const streamed = await http("/v1/embeddings/lyrics/search", chunked(big.slice(0, half), big.slice(half)));
    problem(streamed, 413, "PAYLOAD_TOO_LARGE");
    // The unread rest of the body must not be taken for the next request on the same connection.
    expect([declared.headers.get("connection"), streamed.headers.get("connection")]).toEqual([
      "close",
      "close",
    ]);
  });

  it("an online read's body is held to 512 KiB, what its schema can hold, declared or streamed", async () => {
    // 3 MB of empty arrays: within the app's 10 MiB, and a second of parsing on the main thread.
    const wide = `{"ids":[1],"x":[${"[],".repeat(1_000_000)}[]]}`;
    for (const path of [
      "/v1/features/track/batch",
      "/v1/embeddings/lyrics/batch",
      "/v1/embeddings/lyrics/search",
    ]) {
      problem(await http(path, wide), 413, "PAYLOAD_TOO_LARGE");
      problem(await http(path, chunked(wide.slice(0, 100), wide.slice(100))), 413, "PAYLOAD_TOO_LARGE");
    }
    // The largest valid batch still fits: 1,000 artist names of 200 characters (the column's size).
    const long = {
      ids: Array.from({ length: 1_000 }, (_, i) => `${i}`.padStart(200, "0")),
      features: ["artist_stats:track_count"],
    };
    expect((await http("/v1/features/artist/batch", JSON.stringify(long))).status).toBe(200);
  });

  it("a training upload is read from Node's stream to its own limit (32 MiB), declared or streamed", async () => {
    const csv = { "content-type": "text/csv" };
    const path = "/v1/datasets/training?features=track_profile@1:energy&format=csv";
    const res = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...csv },
      body: "track_id,event_timestamp\n1,2025-01-01T00:00:00Z\n2,2025-01-01T00:00:00Z\n",
    });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split("\n");
    expect(lines[0]).toContain("track_id");
    expect(lines).toHaveLength(3);
    const over = `track_id,event_timestamp\n${"1,2025-01-01T00:00:00Z\n".repeat(1_460_000)}`;
    expect(over.length).toBeGreaterThan(32 * 1024 * 1024);
    const declared = await http(path, over, csv);
    expect(problem(declared, 413, "PAYLOAD_TOO_LARGE").detail).toContain(`${32 * 1024 * 1024} bytes`);
    const half = over.length / 2;
    const streamed = await http(path, chunked(over.slice(0, half), over.slice(half)), csv);
    problem(streamed, 413, "PAYLOAD_TOO_LARGE");
    expect([declared.headers.get("connection"), streamed.headers.get("connection")]).toEqual([
      "close",
      "close",
    ]);
  });

  it("every answer says nosniff, the lookup lane's and problems included, and a 404 does not echo its path", async () => {
    const get = (path: string) =>
      fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const answers = [
      await get("/v1/features/track/1?features=track_profile:energy"),
      await get("/v1/features/track/1?features=track_profile:nope"),
      await get("/v1/registry/views"),
      await get("/health"),
      await http("/v1/features/track/batch", "{"),
    ];
    const missing = await get("/v1/nothing-here-<script>");
    for (const res of [...answers, missing])
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { detail: string }).detail).not.toContain("<script>");
  });

  it("a body within 512 KiB but holding more values than any valid request is refused before parsing", async () => {
    // 170,000 empty arrays in 510 KB: 20 to 80 ms of JSON.parse each, then a 400 for the unknown key.
    const wide = `{"ids":[1],"x":[${"[],".repeat(170_000)}[]]}`;
    for (const path of [
      "/v1/features/track/batch",
      "/v1/embeddings/lyrics/batch",
      "/v1/embeddings/lyrics/search",
    ]) {
      const refused = problem(await http(path, wide), 413, "PAYLOAD_TOO_LARGE");
      expect(refused.detail).toMatch(/more than 20000 values/);
    }
    // The largest vector a search takes is counted in, and answered by the route.
    const vector = JSON.stringify({ vector: Array.from({ length: 16_000 }, () => 0.5), k: 3 });
    const search = await http("/v1/embeddings/lyrics/search", vector);
    expect(search.status).not.toBe(413);
  });

  it("a key the schema does not name is refused, not parsed and ignored", async () => {
    for (const [path, body] of [
      ["/v1/features/track/batch", { ...request, x: [[], []] }],
      ["/v1/embeddings/lyrics/batch", { ids: [1], x: 1 }],
      ["/v1/embeddings/lyrics/search", { id: 1, k: 3, x: 1 }],
    ] as const) {
      const refused = problem(await http(path, JSON.stringify(body)), 400, "VALIDATION_FAILED");
      expect(refused.errors).toEqual([expect.objectContaining({ detail: 'Unrecognized key: "x"' })]);
    }
  });

  it("the key and account routes' bodies are held to 16 KiB, and a key their schema does not name is refused", async () => {
    const someId = "1f0e4a52-6c1b-4d43-9a7e-5b8f2f3c9d10";
    const routes: [string, string, Record<string, unknown>][] = [
      ["POST", "/v1/signup", { email: "wide@example.com" }],
      ["POST", "/v1/keys", { scopes: ["features:read"] }],
      ["POST", `/v1/keys/${someId}/rotate`, { grace_seconds: 0 }],
      ["PATCH", `/v1/admin/accounts/${someId}`, { tier: "pro" }],
    ];
    const send = async (method: string, path: string, body: string): Promise<Call> => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (path !== "/v1/signup") headers.authorization = `Bearer ${ADMIN_KEY}`;
      const res = await fetch(`${server.url}${path}`, { method, headers, body });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
    };
    for (const [method, path, fields] of routes) {
      // A megabyte under an ignored key: within the app's 10 MiB, it was parsed and then served.
      const wide = JSON.stringify({ ...fields, x: "[],".repeat(350_000) });
      problem(await send(method, path, wide), 413, "PAYLOAD_TOO_LARGE");
      const extra = problem(
        await send(method, path, JSON.stringify({ ...fields, x: 1 })),
        400,
        "VALIDATION_FAILED",
      );
      expect(extra.errors, path).toEqual([expect.objectContaining({ detail: 'Unrecognized key: "x"' })]);
    }
    // Nested objects too: a filter's misspelt `valeu` was dropped, and the search ran unfiltered.
    const filter = { feature: "track_profile:popularity", op: "gte", valeu: 50 };
    const nested = problem(
      await send("POST", "/v1/embeddings/lyrics/search", JSON.stringify({ id: 1, filters: [filter] })),
      400,
      "VALIDATION_FAILED",
    );
    expect(nested.errors).toEqual([
      expect.objectContaining({ detail: 'Unrecognized key: "valeu"', path: ["filters", 0] }),
    ]);
  });

  // Every JSON route: the online reads (Node's stream), the others (Hono's body limit), and the
  // training upload (a body limit of its own).
  const jsonRoutes = [
    "/v1/features/track/batch",
    "/v1/embeddings/lyrics/search",
    "/v1/keys",
    "/v1/datasets/training?features=qwen_analysis:quality",
  ];
  const nested = (depth: number) => `{"ids":[1],"x":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;

  it.each(jsonRoutes)("a body nested deeper than 64 levels is refused before parsing: %s", async (path) => {
    const deep = problem(await http(path, nested(65)), 400, "MALFORMED_JSON");
    expect(deep.detail).toContain("deeper than 64 levels");
    // Half a million brackets, unclosed, as an attacker sends them: refused the same way, or as
    // larger than the route takes (the key routes' 16 KiB).
    const unclosed = await http(path, `{"ids":${"[".repeat(500_000)}`);
    if (path === "/v1/keys") problem(unclosed, 413, "PAYLOAD_TOO_LARGE");
    else problem(unclosed, 400, "MALFORMED_JSON");
    problem(await http(path, chunked('{"x":', "[".repeat(100))), 400, "MALFORMED_JSON");
    // 64 levels, and brackets inside strings, are not counted against the limit.
    const within = await http(path, nested(64));
    expect(within.body).not.toMatchObject({ detail: expect.stringContaining("deeper than") });
    const quoted = await http(path, JSON.stringify({ ids: [1], x: "[".repeat(100), y: '\\"[[[' }));
    expect(quoted.body).not.toMatchObject({ detail: expect.stringContaining("deeper than") });
  });
});

describe("text PostgreSQL cannot take as it is (a NUL byte, a lone surrogate) is a 400 naming the field", () => {
  const nul = "a\u0000b";
  it.each([
    ["the name of a signup", "/v1/signup", { email: "nul@example.com", name: nul }, ["name"]],
    ["the name of a new key", "/v1/keys", { name: nul, scopes: ["features:read"] }, ["name"]],
    [
      "a search filter's value",
      "/v1/embeddings/lyrics/search",
      { id: 42, k: 5, filters: [{ feature: "qwen_analysis@2:sentiment", op: "eq", value: nul }] },
      ["filters", 0, "value"],
    ],
    ["a batch's feature list", "/v1/features/track/batch", { ids: [1], features: [nul] }, ["features", 0]],
  ])("%s", async (_, path, json, field) => {
    const headers: Record<string, string> = path === "/v1/signup" ? { authorization: "" } : {};
    const p = problem(await call(server, path, { json, headers }), 400, "VALIDATION_FAILED");
    expect(p.errors).toEqual([expect.objectContaining({ path: field, code: "nul_byte" })]);
  });

  it("in a query parameter", async () => {
    const p = problem(await get("/v1/registry/views?entity=%00"), 400, "VALIDATION_FAILED");
    expect(p.errors).toEqual([expect.objectContaining({ in: "query", path: ["entity"], code: "nul_byte" })]);
  });

  it("a lone surrogate, which UTF-8 cannot hold: it was sent as U+FFFD and the search found nothing", async () => {
    const filters = [{ feature: "qwen_analysis@2:mood", op: "eq", value: "sad\ud800" }];
    const search = await call(server, "/v1/embeddings/lyrics/search", { json: { id: 42, k: 5, filters } });
    const p = problem(search, 400, "VALIDATION_FAILED");
    expect(p.errors).toEqual([
      expect.objectContaining({ path: ["filters", 0, "value"], code: "lone_surrogate" }),
    ]);
    // A pair is one character, and a lone low surrogate is refused too.
    expect((await batch("track", { ids: [1], features: ["\ud83c\udfa4"] })).body).toMatchObject({
      code: "UNKNOWN_FEATURE",
    });
    const low = problem(await batch("track", { ids: [1], features: ["\udfa4x"] }), 400, "VALIDATION_FAILED");
    expect(low.errors).toEqual([expect.objectContaining({ path: ["features", 0], code: "lone_surrogate" })]);
  });
});
