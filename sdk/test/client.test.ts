import { DEFAULT_BASE_URL, RapFS, RapFSError } from "@rapfs/sdk";
import { afterEach, describe, expect, it, vi } from "vitest";
import { json, mockFetch } from "./support/mock-fetch";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("RapFS options", () => {
  it("sends the API key as a bearer token, with defaultHeaders and per-call headers layered on top", async () => {
    const fetch = mockFetch(json({ ok: true }));
    const client = new RapFS({
      apiKey: "rapfs_abc",
      baseURL: "http://rapfs.test/",
      fetch,
      defaultHeaders: { "x-team": "ranking", "x-trace": "default", "user-agent": null },
    });
    await client.get("/v1/usage", { headers: { "x-trace": "call" } });

    const [call] = fetch.calls;
    expect(call?.url).toBe("http://rapfs.test/v1/usage");
    expect(call?.method).toBe("GET");
    expect(call?.headers.get("authorization")).toBe("Bearer rapfs_abc");
    expect(call?.headers.get("accept")).toBe("application/json");
    expect(call?.headers.get("x-team")).toBe("ranking");
    expect(call?.headers.get("x-trace")).toBe("call");
    expect(call?.headers.has("user-agent")).toBe(false);
    expect(call?.headers.has("content-type")).toBe(false);
  });

  it("falls back to RAPFS_API_KEY and RAPFS_BASE_URL from the environment", async () => {
    vi.stubEnv("RAPFS_API_KEY", "rapfs_from_env");
    vi.stubEnv("RAPFS_BASE_URL", "https://features.example.com/api/");
    const fetch = mockFetch(json({}));
    const client = new RapFS({ fetch });
    expect(client.apiKey).toBe("rapfs_from_env");
    expect(client.baseURL).toBe("https://features.example.com/api");
    await client.get("health");
    expect(fetch.calls[0]?.url).toBe("https://features.example.com/api/health");
    expect(fetch.calls[0]?.headers.get("authorization")).toBe("Bearer rapfs_from_env");
  });

  it("prefers explicit options to the environment, and apiKey: null sends no key", async () => {
    vi.stubEnv("RAPFS_API_KEY", "rapfs_from_env");
    vi.stubEnv("RAPFS_BASE_URL", "");
    expect(new RapFS({ apiKey: "rapfs_explicit" }).apiKey).toBe("rapfs_explicit");
    const fetch = mockFetch(json({ key: "rapfs_new" }));
    const anonymous = new RapFS({ apiKey: null, fetch });
    expect(anonymous.baseURL).toBe(DEFAULT_BASE_URL);
    await anonymous.post("/v1/signup", { body: { email: "mc@example.com" } });
    expect(fetch.calls[0]?.headers.has("authorization")).toBe(false);
  });

  it("has the documented defaults and rejects nonsense", () => {
    vi.stubEnv("RAPFS_API_KEY", "rapfs_from_env");
    const client = new RapFS();
    expect(client).toMatchObject({ apiKey: "rapfs_from_env", timeout: 30_000, maxRetries: 2 });
    expect(() => new RapFS({ maxRetries: 1.5 })).toThrow(RapFSError);
    expect(() => new RapFS({ timeout: -1 })).toThrow("timeout must be a non-negative number");
  });

  it("refuses to construct without a key, naming RAPFS_API_KEY, unless told none is wanted", () => {
    vi.stubEnv("RAPFS_API_KEY", "");
    expect(() => new RapFS()).toThrow(RapFSError);
    expect(() => new RapFS()).toThrow(/RAPFS_API_KEY environment variable is missing or empty/);
    expect(() => new RapFS({ apiKey: "" })).toThrow(/RAPFS_API_KEY/);
    expect(new RapFS({ apiKey: null }).apiKey).toBeUndefined();
  });

  it("derives a client with withOptions", async () => {
    const fetch = mockFetch(json({}));
    const base = new RapFS({ apiKey: "rapfs_a", baseURL: "http://rapfs.test", fetch, maxRetries: 5 });
    const derived = base.withOptions({ timeout: 1_000 });
    expect(derived).toMatchObject({
      apiKey: "rapfs_a",
      baseURL: "http://rapfs.test",
      maxRetries: 5,
      timeout: 1_000,
    });
    await derived.get("/x");
    expect(fetch.calls).toHaveLength(1);
  });

  it("hands a fetch of the caller's own a Headers instance, with the defaults and the call's headers", async () => {
    const got: unknown[] = [];
    const fetch = async (_url: string, init: RequestInit) => {
      got.push(init.headers);
      return json({});
    };
    await new RapFS({ apiKey: "rapfs_abc", baseURL: "http://rapfs.test", fetch }).get("/x", {
      headers: { "x-trace": "t" },
    });
    const headers = got[0] as Headers;
    expect(headers).toBeInstanceOf(Headers);
    expect(headers.get("authorization")).toBe("Bearer rapfs_abc");
    expect(headers.get("x-trace")).toBe("t");
  });
});

describe("request", () => {
  const client = (fetch: ReturnType<typeof mockFetch>) =>
    new RapFS({ apiKey: "rapfs_test", baseURL: "http://rapfs.test", fetch, maxRetries: 0 });

  it("sends a JSON body and encodes the query", async () => {
    const fetch = mockFetch(json({ rows: [] }));
    await client(fetch).post("/v1/features/track/batch", {
      query: { features: ["qwen_analysis@2:sentiment", "emotion:joy"], columnar: true, skip: undefined },
      body: { ids: [1, 2, 3] },
      idempotent: true,
    });
    const [call] = fetch.calls;
    expect(call?.method).toBe("POST");
    expect(call?.url).toBe(
      "http://rapfs.test/v1/features/track/batch?features=qwen_analysis@2:sentiment&features=emotion:joy&columnar=true",
    );
    expect(call?.headers.get("content-type")).toBe("application/json");
    expect(call?.body).toEqual({ ids: [1, 2, 3] });
  });

  it("generates an x-request-id per call, keeps a caller's, and reports the server's", async () => {
    const fetch = mockFetch(json({}, { headers: { "x-request-id": "srv-1" } }));
    const { requestId } = await client(fetch).get("/x").withResponse();
    expect(requestId).toBe("srv-1");
    await client(fetch).get("/x", { headers: { "x-request-id": "mine-1" } });
    await client(fetch).get("/x");
    const sent = fetch.calls.map((c) => c.headers.get("x-request-id"));
    expect(sent[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[1]).toBe("mine-1");
    expect(sent[2]).not.toBe(sent[0]);
  });

  it("parses JSON and problem+json, returns text otherwise and undefined for 204", async () => {
    expect(await client(mockFetch(json({ a: 1 }))).get("/x")).toEqual({ a: 1 });
    expect(
      await client(mockFetch(new Response("ok", { headers: { "content-type": "text/plain" } }))).get("/x"),
    ).toBe("ok");
    expect(
      await client(mockFetch(new Response(null, { status: 204 }))).delete("/v1/keys/k1"),
    ).toBeUndefined();
  });

  it("hands back the unread Response for streaming with asResponse()", async () => {
    const fetch = mockFetch(
      new Response("track_id,joy\n1,0.5\n", { headers: { "content-type": "text/csv" } }),
    );
    const response = await client(fetch)
      .get("/v1/datasets/public/download", { query: { format: "csv" } })
      .asResponse();
    expect(response.bodyUsed).toBe(false);
    expect(await response.text()).toBe("track_id,joy\n1,0.5\n");
  });

  it("gives data, response and request id together with withResponse()", async () => {
    const fetch = mockFetch(
      json({ value: 7 }, { headers: { deprecation: "@1767225600", "x-request-id": "r9" } }),
    );
    const { data, response, requestId } = await client(fetch).get<{ value: number }>("/x").withResponse();
    expect(data.value).toBe(7);
    expect(response.headers.get("deprecation")).toBe("@1767225600");
    expect(requestId).toBe("r9");
  });

  it("accepts an absolute URL as the path", async () => {
    const fetch = mockFetch(json({}));
    await client(fetch).get("https://other.example.com/health?probe=1", { query: { deep: true } });
    expect(fetch.calls[0]?.url).toBe("https://other.example.com/health?probe=1&deep=true");
  });
});
