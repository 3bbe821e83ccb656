import { RapFS, RapFSError } from "@rapfs/sdk";
import { describe, expect, it } from "vitest";
import { json, mockFetch } from "./support/mock-fetch";

const client = (fetch: ReturnType<typeof mockFetch>) =>
  new RapFS({ apiKey: "rapfs_k", baseURL: "http://rapfs.test", fetch, maxRetries: 1 });

describe("resources over an injected fetch", () => {
  it("signup sends no key, even when the client has one, and is not retried", async () => {
    const fetch = mockFetch(new Response("{}", { status: 503 }));
    const error = await client(fetch)
      .signup({ email: "a@example.com" }, { headers: { "x-trace": "1" } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(RapFSError);
    expect(fetch.calls).toHaveLength(1);
    expect(fetch.calls[0]?.headers.has("authorization")).toBe(false);
    expect(fetch.calls[0]?.headers.get("x-trace")).toBe("1");
  });

  it("batch reads are retried (they only read), key creation is not", async () => {
    const failing = () => mockFetch(new Response("{}", { status: 503, headers: { "retry-after-ms": "1" } }));
    const batch = failing();
    await client(batch)
      .features.getMany("track", [1], { service: "s" })
      .catch(() => {});
    expect(batch.calls).toHaveLength(2);
    const create = failing();
    await client(create)
      .keys.create({ scopes: ["features:read"] })
      .catch(() => {});
    expect(create.calls).toHaveLength(1);
  });

  it("pages through every account with for await, passing each page's next_after as after", async () => {
    const account = (id: string) => ({ id, email: `${id}@example.com`, name: id, tier: "free" });
    const fetch = mockFetch(
      json({ accounts: [account("a"), account("b")], next_after: "b" }),
      json({ accounts: [account("c")], next_after: null }),
    );
    const fs = client(fetch);
    const ids: string[] = [];
    for await (const { id } of fs.admin.accounts.list({ limit: 2 })) ids.push(id);
    expect(ids).toEqual(["a", "b", "c"]);
    expect(fetch.calls.map((c) => c.url)).toEqual([
      "http://rapfs.test/v1/admin/accounts?limit=2",
      "http://rapfs.test/v1/admin/accounts?limit=2&after=b",
    ]);

    const first = await fs.admin.accounts.list({ after: "b" });
    expect([first.items.map((a) => a.id), first.hasNextPage()]).toEqual([["c"], false]);
    expect(fetch.calls[2]?.url).toBe("http://rapfs.test/v1/admin/accounts?after=b");
  });

  it("updates an account with a PATCH of its id, not retried", async () => {
    const fetch = mockFetch(new Response("{}", { status: 503, headers: { "retry-after-ms": "1" } }));
    await client(fetch)
      .admin.accounts.update("acc/1", { tier: "pro" })
      .catch(() => {});
    expect(fetch.calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ["PATCH", "http://rapfs.test/v1/admin/accounts/acc%2F1", { tier: "pro" }],
    ]);
  });

  it("ingests a batch under one idempotency key, kept across its retries", async () => {
    const written = {
      tracks: { count: 0, ids: [], created_at: [] },
      analyses: { count: 1, ids: [7], created_at: ["t"] },
    };
    const fetch = mockFetch(
      new Response("{}", { status: 503, headers: { "retry-after-ms": "1" } }),
      json(written),
    );
    const analyses = [
      { track_id: 42, analyzer_type: "algorithmic" as const, analysis_data: { word_count: 3 } },
    ];
    expect(await client(fetch).admin.analyses.ingest({ analyses })).toEqual(written);
    expect(fetch.calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ["POST", "http://rapfs.test/v1/admin/analyses", { analyses }],
      ["POST", "http://rapfs.test/v1/admin/analyses", { analyses }],
    ]);
    const keys = fetch.calls.map((c) => c.headers.get("idempotency-key"));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it("sends the caller's idempotency key, and a new one for each call without", async () => {
    const written = {
      tracks: { count: 0, ids: [], created_at: [] },
      analyses: { count: 0, ids: [], created_at: [] },
    };
    const fetch = mockFetch(json(written));
    const fs = client(fetch);
    await fs.admin.analyses.ingest({ analyses: [] }, { idempotencyKey: "batch-0001" });
    await fs.admin.analyses.ingest({ analyses: [] });
    await fs.admin.analyses.ingest({ analyses: [] });
    const keys = fetch.calls.map((c) => c.headers.get("idempotency-key"));
    expect(keys[0]).toBe("batch-0001");
    expect(keys[1]).not.toBe(keys[2]);
  });

  it("getMany of no ids sends nothing", async () => {
    const fetch = mockFetch(json({}));
    expect(await client(fetch).features.getMany("track", [], { service: "s" })).toMatchObject({ rows: [] });
    expect(fetch.calls).toHaveLength(0);
  });

  it("encodes selections, escapes path segments and unwraps registry lists", async () => {
    const fetch = mockFetch(json({ views: [{ ref: "v@1" }] }));
    const fs = client(fetch);
    await fs.features.get("artist", "AC/DC & co", { features: ["v@2:a", "v:*"] });
    expect(fetch.calls[0]?.url).toBe(
      "http://rapfs.test/v1/features/artist/AC%2FDC%20%26%20co?features=v@2:a&features=v:*",
    );
    expect(await fs.registry.views({ latest: true, entity: "track" })).toEqual([{ ref: "v@1" }]);
    expect(fetch.calls[1]?.url).toBe("http://rapfs.test/v1/registry/views?latest=true&entity=track");
  });

  it("sends a download only when it is used, with asOf as ISO 8601", async () => {
    const fetch = mockFetch(
      new Response("track_id\n1\n", { headers: { "content-type": "text/csv", "rapfs-rows": "1" } }),
    );
    const download = client(fetch).datasets.download("public", {
      format: "csv",
      asOf: new Date(Date.UTC(2025, 5, 1)),
      limit: 10,
      features: ["a:b"],
    });
    expect(fetch.calls).toHaveLength(0);
    expect(await download.text()).toBe("track_id\n1\n");
    expect(fetch.calls[0]?.url).toBe(
      "http://rapfs.test/v1/datasets/public/download?features=a:b&as_of=2025-06-01T00:00:00.000Z&limit=10&format=csv",
    );
    expect(await download.info()).toMatchObject({ rows: 1, format: "csv" });
  });

  it("asks for Arrow when toArrowTable() comes first, and refuses another format", async () => {
    const fetch = mockFetch(new Response("", { status: 500, headers: { "retry-after-ms": "1" } }));
    await client(fetch)
      .datasets.download("public")
      .toArrowTable()
      .catch(() => {});
    expect(fetch.calls[0]?.url).toContain("format=arrow");
    await expect(client(fetch).datasets.download("public", { format: "csv" }).toArrowTable()).rejects.toThrow(
      /reads the arrow and parquet formats; this download is csv/,
    );
  });

  it("records() asks for NDJSON and parses each line as it arrives, even split across chunks", async () => {
    const lines = '{"track_id":1,"mood":"dark"}\n{"track_id":2,"mood":"h\u00e9"}\n';
    const bytes = new TextEncoder().encode(lines);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // Split inside a line and inside the two-byte é.
        for (const [from, to] of [
          [0, 10],
          [10, bytes.length - 4],
          [bytes.length - 4, bytes.length],
        ])
          controller.enqueue(bytes.slice(from, to));
        controller.close();
      },
    });
    const fetch = mockFetch(new Response(body, { status: 200, headers: { "rapfs-rows": "2" } }));
    const rows = [];
    for await (const row of client(fetch).datasets.download("public").records()) rows.push(row);
    expect(fetch.calls[0]?.url).toContain("format=json");
    expect(rows).toEqual([
      { track_id: 1, mood: "dark" },
      { track_id: 2, mood: "hé" },
    ]);
    const csv = client(fetch).datasets.download("public", { format: "csv" }).records();
    await expect(csv.next()).rejects.toThrow(/reads the json format; this download is csv/);
  });

  it("reports progress as bytes arrive", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(3));
        controller.enqueue(new Uint8Array(4));
        controller.close();
      },
    });
    const fetch = mockFetch(
      () => new Response(body, { headers: { "content-length": "7", "rapfs-rows": "2" } }),
    );
    const seen: unknown[] = [];
    const bytes = await client(fetch)
      .datasets.training([{ track_id: 1, event_timestamp: "2025-01-01T00:00:00Z" }], {
        onProgress: (p) => seen.push(p),
      })
      .bytes();
    expect(bytes.byteLength).toBe(7);
    expect(seen).toEqual([
      { bytes: 3, totalBytes: 7, rows: 2 },
      { bytes: 7, totalBytes: 7, rows: 2 },
    ]);
    expect(fetch.calls[0]?.url).toBe("http://rapfs.test/v1/datasets/training?format=parquet");
    expect(fetch.calls[0]?.body).toEqual([{ track_id: 1, event_timestamp: "2025-01-01T00:00:00Z" }]);
  });
});
