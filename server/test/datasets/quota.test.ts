import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bytes,
  type DatasetsHarness,
  datasetsHarness,
  expectProblem,
  get,
  readCsv,
  readParquetWasm,
} from "./support";

/**
 * The free tier: 3 downloads and 10,000 rows a day (access/tiers.ts). Downloads of `public` as
 * of an instant are computed for the caller, so each spends a download.
 */
const AS_OF = "as_of=2030-01-01T00:00:00Z";
describe("downloads spend the key's quotas once per request and day; retries and resumes are free", () => {
  let h: DatasetsHarness;
  beforeAll(async () => {
    h = await datasetsHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a retry is not charged again, a Range resume continues the same bytes, and the quota then runs out", async () => {
    const key = h.keys.free;
    const a = `/v1/datasets/public/download?format=csv&limit=100&${AS_OF}`;
    const first = await get(h, a, { key });
    expect(first.headers.get("rapfs-download-charged")).toBe("true");
    const whole = Buffer.from(await bytes(first));
    const etag = first.headers.get("etag") as string;

    const retry = await get(h, a, { key });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("rapfs-download-charged")).toBe("false");
    expect(Buffer.from(await bytes(retry)).equals(whole)).toBe(true);

    const resumed = await get(h, a, { key, headers: { range: "bytes=1000-", "if-range": etag } });
    expect(resumed.status).toBe(206);
    expect(resumed.headers.get("content-range")).toBe(`bytes 1000-${whole.length - 1}/${whole.length}`);
    expect(Buffer.from(await bytes(resumed)).equals(whole.subarray(1000))).toBe(true);

    // Two more downloads fill the day's three; a fourth is refused before any byte.
    for (const limit of [101, 102]) {
      const response = await get(h, `/v1/datasets/public/download?format=csv&limit=${limit}&${AS_OF}`, {
        key,
      });
      expect(response.headers.get("rapfs-download-charged")).toBe("true");
      await response.arrayBuffer();
    }
    const problem = await expectProblem(
      await get(h, `/v1/datasets/public/download?limit=103&${AS_OF}`, { key }),
      429,
      "RATE_LIMITED",
    );
    expect(problem.detail).toMatch(/dataset downloads/);
  });

  it("If-None-Match naming an unchanged file is a 304 that spends no download and no bytes", async () => {
    const key = await h.freeKey();
    const usage = async () => (await (await get(h, "/v1/usage?days=1", { key })).json()).history[0];
    const paths = [
      "/v1/datasets/public/download?format=csv",
      "/v1/datasets/public/download?format=json&limit=120",
      `/v1/datasets/public/download?format=parquet&limit=150&${AS_OF}`,
      "/v1/datasets/public/download?format=parquet",
      // Past the rows, with the whole file at hand: that file, and its tag.
      "/v1/datasets/public/download?format=parquet&limit=1000000",
    ];
    const tags: string[] = [];
    for (const path of paths) {
      const first = await get(h, path, { key });
      expect(first.status, path).toBe(200);
      await first.arrayBuffer();
      tags.push(first.headers.get("etag") as string);
    }
    const before = await usage();
    for (const [i, path] of paths.entries()) {
      const tag = tags[i] as string;
      for (const header of [tag, `W/${tag}`, `"other", ${tag}`, "*"]) {
        const again = await get(h, path, { key, headers: { "if-none-match": header } });
        expect(again.status, `${path} ${header}`).toBe(304);
        expect(again.headers.get("etag")).toBe(tag);
        expect(again.headers.get("cache-control")).toBe("private, no-store");
        expect(await again.text()).toBe("");
      }
      const changed = await get(h, path, { key, headers: { "if-none-match": '"another-version"' } });
      expect(changed.status).toBe(200);
      expect(changed.headers.get("etag")).toBe(tag);
      await changed.arrayBuffer();
    }
    const after = await usage();
    expect(after.downloads).toBe(before.downloads);
    // Only the three unconditional answers sent bytes again.
    expect(after.bytes).toBeGreaterThan(before.bytes);
  });

  it("a retry is served even after the day's downloads are spent", async () => {
    const key = await h.freeKey();
    const path = (limit: number) => `/v1/datasets/public/download?format=csv&limit=${limit}&${AS_OF}`;
    const a = path(100);
    for (const limit of [100, 101, 102]) await (await get(h, path(limit), { key })).arrayBuffer();
    await expectProblem(await get(h, path(103), { key }), 429, "RATE_LIMITED");
    const later = await get(h, a, { key });
    expect(later.status).toBe(200);
    expect(later.headers.get("rapfs-download-charged")).toBe("false");
  });

  it("rows count against the row quota: a download larger than what is left is refused whole", async () => {
    const key = await h.freeKey();
    const upload = (n: number) =>
      get(h, "/v1/datasets/training?features=qwen_analysis@2:mood&format=csv", {
        key,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(
          Array.from({ length: n }, (_, i) => ({ track_id: (i % 500) + 1, event_timestamp: "2025-06-01" })),
        ),
      });
    expect((await upload(6_000)).status).toBe(200);
    const response = await upload(5_000);
    const problem = await expectProblem(response, 429, "RATE_LIMITED");
    expect(problem.detail).toMatch(/entity rows/);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    // Nothing was spent: 4,000 rows are still there.
    expect((await upload(4_000)).status).toBe(200);
  });

  it("a request larger than a whole day of the tier is refused for good: 403, no Retry-After, what fits", async () => {
    const key = await h.freeKey();
    const rows = Array.from({ length: 10_001 }, (_, i) => ({
      track_id: (i % 500) + 1,
      event_timestamp: "2025-06-01",
    }));
    const response = await get(h, "/v1/datasets/training?features=qwen_analysis@2:mood", {
      key,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(rows),
    });
    const problem = await expectProblem(response, 403, "EXCEEDS_QUOTA");
    expect(response.headers.get("retry-after")).toBeNull();
    expect(problem).toMatchObject({
      policy: "rows",
      limit: 10_000,
      needed: 10_001,
      fits: { limit: 10_000, tiers: ["pro", "admin"] },
    });
    expect(problem.detail).toMatch(/no retry can succeed.*limit=10000.*pro, admin/);
    // Nothing was spent: the same key still downloads.
    const ok = await get(h, "/v1/datasets/public/download?limit=10&features=qwen_analysis:mood", { key });
    expect(ok.status).toBe(200);
    // Its 10 rows surely fit what is left: it answers at once, before they are counted.
    expect(ok.headers.get("rapfs-rows")).toBeNull();
    expect(readParquetWasm(await bytes(ok)).rows).toHaveLength(10);
  });
});

describe("a public dataset downloads whole on the free tier: downloads and bytes, not rows", () => {
  let h: DatasetsHarness;
  beforeAll(async () => {
    // A row quota far below the public dataset's rows, and bytes for about three files.
    h = await datasetsHarness({ RAPFS_TIERS: JSON.stringify({ free: { rows: 100, bytes: 400_000 } }) });
  });
  afterAll(async () => {
    await h?.close();
  });

  const signup = async () => {
    const { account, key } = await h.services.access.accounts.signup({ email: `public-${n++}@example.com` });
    return { accountId: account.id, key: key.key };
  };
  let n = 0;
  const usage = (accountId: string) => h.services.access.gate.usage({ accountId, tier: "free" }, 1);
  const left = (u: Awaited<ReturnType<typeof usage>>, policy: string) =>
    u.windows.find((w) => w.policy.name === policy)?.remaining;

  it("spends the bytes sent, not a download nor its rows: its current files are shared", async () => {
    const { accountId, key } = await signup();
    const response = await get(h, "/v1/datasets/public/download?format=csv", { key });
    expect(response.status).toBe(200);
    expect(response.headers.get("rapfs-download-charged")).toBe("false");
    // Its first download streams as the shared file is encoded: rows counted as written, not sent up front.
    expect(response.headers.get("rapfs-rows")).toBeNull();
    const file = await bytes(response);
    expect(new TextDecoder().decode(file).trim().split("\n").length - 1).toBeGreaterThan(100);
    const size = file.byteLength;
    // The bytes are settled once the file is encoded, a moment after its last byte left.
    await expect
      .poll(async () => left(await usage(accountId), "bytes"), { timeout: 5_000 })
      .toBe(400_000 - size);
    const after = await usage(accountId);
    expect(left(after, "rows")).toBe(100);
    expect(left(after, "downloads")).toBe(3);
    expect(after.history[0]).toMatchObject({ rows: 0, downloads: 0, bytes: size });
  });

  it("the same dataset with other features is not the public one: it spends rows and never fits", async () => {
    const key = await h.freeKey();
    const response = await get(h, "/v1/datasets/public/download?format=csv&features=qwen_analysis:mood", {
      key,
    });
    const problem = await expectProblem(response, 403, "EXCEEDS_QUOTA");
    expect(problem.detail).toMatch(/limit=100\b/);
    // The download it charged first was given back, and its RateLimit field says so.
    expect(response.headers.get("ratelimit")).toMatch(/"downloads";r=3\b/);
    const fits = await get(
      h,
      "/v1/datasets/public/download?format=csv&features=qwen_analysis:mood&limit=100",
      {
        key,
      },
    );
    expect(fits.status).toBe(200);
    expect(readCsv(await bytes(fits)).rows).toHaveLength(100);
  });

  it("a repeat of a download pays its bytes, and so does a resume: the bytes quota counts what is sent", async () => {
    const { accountId, key } = await signup();
    const path = "/v1/datasets/public/download?format=csv&limit=100";
    const size = (await bytes(await get(h, path, { key }))).byteLength;
    const repeat = await get(h, path, { key });
    expect(repeat.headers.get("rapfs-download-charged")).toBe("false");
    expect((await bytes(repeat)).byteLength).toBe(size);
    const resumed = await get(h, path, { key, headers: { range: "bytes=1000-" } });
    expect(resumed.status).toBe(206);
    await bytes(resumed);
    await expect
      .poll(async () => left(await usage(accountId), "bytes"), { timeout: 5_000 })
      .toBe(400_000 - 2 * size - (size - 1000));
  });

  it("the current card costs a request, however it is asked for: no download is spent", async () => {
    const { accountId, key } = await signup();
    for (const limit of [5, 123, 456, 789]) {
      expect((await get(h, `/v1/datasets/public?limit=${limit}`, { key })).status).toBe(200);
    }
    expect(left(await usage(accountId), "downloads")).toBe(3);
  });

  it("a training upload that cannot fit is refused before any database work", async () => {
    const key = await h.freeKey();
    const rows = Array.from({ length: 101 }, (_, i) => ({
      track_id: i + 1,
      event_timestamp: "2024-01-01T00:00:00Z",
    }));
    const services = h.services as { bulkSql: unknown };
    const bulkSql = services.bulkSql;
    // Any bulk statement would fail the request with a 500 instead of the refusal.
    services.bulkSql = new Proxy(() => {}, {
      get: () => {
        throw new Error("bulk work ran before the refusal");
      },
      apply: () => {
        throw new Error("bulk work ran before the refusal");
      },
    });
    try {
      const response = await get(h, "/v1/datasets/training?dataset=public&format=csv", {
        key,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(rows),
      });
      const problem = await expectProblem(response, 403, "EXCEEDS_QUOTA");
      expect(problem.detail).toMatch(/rows/);
    } finally {
      services.bulkSql = bulkSql;
    }
  });

  it("a CSV upload past the day's rows is refused from its row count, before it is parsed", async () => {
    const key = await h.freeKey();
    // 101 records, the last one malformed: a parse would answer 400 about it; the count does not read it.
    const lines = Array.from({ length: 100 }, (_, i) => `${i + 1},2024-01-01T00:00:00Z`);
    const csv = `track_id,event_timestamp\n${lines.join("\n")}\n"unterminated,2024\n`;
    const response = await get(h, "/v1/datasets/training?dataset=public&format=csv", {
      key,
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: csv,
    });
    const problem = await expectProblem(response, 403, "EXCEEDS_QUOTA");
    expect(problem.detail).toMatch(/needs 101 entity rows/);
    // Quoted newlines are one record: 100 rows fit, and are parsed.
    const quoted = `track_id,event_timestamp,label\n${lines.map((l) => `${l},"a\nb"`).join("\n")}\n`;
    const fits = await get(h, "/v1/datasets/training?dataset=public&format=csv", {
      key,
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: quoted,
    });
    expect(fits.status).toBe(200);
    expect(fits.headers.get("rapfs-rows")).toBe("100");
    await fits.arrayBuffer();
  });

  it("a JSON upload past the day's rows is refused from its bytes, before it is parsed", async () => {
    const key = await h.freeKey();
    const upload = (body: string) =>
      get(h, "/v1/datasets/training?dataset=public&format=csv", {
        key,
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    // 101 rows and a malformed tail: a parse would answer 400 about it; the count does not read it.
    const rows = Array.from(
      { length: 101 },
      (_, i) => `{"track_id":${i + 1},"event_timestamp":"2024-01-01T00:00:00Z","label":"a,]"}`,
    );
    for (const body of [`[${rows.join(",")}`, `{"x":[1,2],"rows":[${rows.join(",")}],"y":`]) {
      const problem = await expectProblem(await upload(body), 403, "EXCEEDS_QUOTA");
      expect(problem.detail).toMatch(/needs 101 entity rows/);
    }
    // The object form names its rows and nothing else.
    const extra = await expectProblem(await upload(`{"rows":[${rows[0]}],"x":1}`), 400, "VALIDATION_FAILED");
    expect(JSON.stringify(extra.errors)).toMatch(/Unrecognized key/);
  });

  it("once the day's bytes are used up, the next download is refused until UTC midnight", async () => {
    const { accountId, key } = await signup();
    const first = await get(h, "/v1/datasets/public/download?format=json", { key });
    const size = (await bytes(first)).byteLength;
    expect(size).toBeGreaterThan(200_000);
    const second = await get(h, "/v1/datasets/public/download?format=csv", { key });
    await bytes(second);
    await expect.poll(async () => left(await usage(accountId), "bytes"), { timeout: 5_000 }).toBe(0);
    const refused = await get(h, "/v1/datasets/public/download?format=arrow", { key });
    const problem = await expectProblem(refused, 429, "RATE_LIMITED");
    expect(problem.policy).toBe("bytes");
    expect(problem.detail).toMatch(/download bytes/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("dataset cards: whole-dataset work is charged and admitted as a download", () => {
  let h: DatasetsHarness;
  beforeAll(async () => {
    // Refused at once, not after a wait in line (fair-slots.test.ts has the line).
    h = await datasetsHarness({ RAPFS_DOWNLOAD_CONCURRENCY: "1", RAPFS_DOWNLOAD_WAIT_SECONDS: "0" });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a card per invented as_of spends the free key's downloads; a cached card costs nothing more", async () => {
    const key = await h.freeKey();
    const card = (asOf: string) => get(h, `/v1/datasets/public?as_of=${asOf}`, { key });
    const days = ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"];
    for (const day of days) expect((await card(day)).status).toBe(200);
    // The same cards again: cached, not charged.
    for (const day of days) expect((await card(day)).status).toBe(200);
    // A fourth instant would read the whole dataset again: the day's downloads are spent.
    const refused = await expectProblem(await card("2024-01-04T00:00:00Z"), 429, "RATE_LIMITED");
    expect(refused.policy).toBe("downloads");
  });

  it("takes a download slot: while one is computing, another is 503 with Retry-After", async () => {
    const slow = h.datasets.spool.admit(() => new Promise((resolve) => setTimeout(resolve, 500)));
    const busy = await get(h, "/v1/datasets/public?as_of=2030-05-05T00:00:00Z");
    const problem = await expectProblem(busy, 503);
    expect(busy.headers.get("retry-after")).toBe("5");
    expect(problem.detail).toMatch(/Too many downloads/);
    await slow;
    expect((await get(h, "/v1/datasets/public?as_of=2030-05-05T00:00:00Z")).status).toBe(200);
  });

  it("a request answered 503 for want of a slot is charged nothing: a card at an as_of, a training set", async () => {
    const key = await h.freeKey();
    const remaining = async () => {
      const usage = (await (await get(h, "/v1/usage", { key })).json()) as {
        windows: { policy: string; remaining: number }[];
      };
      const of = (policy: string) => usage.windows.find((w) => w.policy === policy)?.remaining;
      return { downloads: of("downloads"), rows: of("rows") };
    };
    const before = await remaining();
    let release = () => {};
    const held = h.datasets.spool.admit(() => new Promise<void>((resolve) => (release = resolve)));
    try {
      await expectProblem(await get(h, "/v1/datasets/public?as_of=2022-06-06T00:00:00Z", { key }), 503);
      const labels = Array.from({ length: 50 }, (_, i) => ({
        track_id: i + 1,
        event_timestamp: "2024-01-01T00:00:00Z",
      }));
      const training = await get(h, "/v1/datasets/training?dataset=public&format=csv", {
        key,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(labels),
      });
      await expectProblem(training, 503);
    } finally {
      release();
      await held;
    }
    expect(await remaining()).toEqual(before);
  });

  it("every as_of past the newest data is one card: computed and charged once, not per timestamp", async () => {
    const key = await h.freeKey();
    const [horizon] = await h.db.sql<{ at: string }[]>`
      select to_char(greatest((select max(created_at) from analysis_results), (select max(created_at) from tracks))
        at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as at`;
    const cards = [];
    for (const asOf of [
      "2031-01-01T00:00:00Z",
      "2032-06-01T12:00:00Z",
      "2099-12-31T23:59:59Z",
      "2040-02-29T00:00:00Z",
    ]) {
      const response = await get(h, `/v1/datasets/public?as_of=${asOf}`, { key });
      expect(response.status).toBe(200);
      cards.push((await response.json()) as { as_of: string; rows: number; version: string });
    }
    // One instant: the newest data's, which every later one reads the same rows as.
    expect(new Set(cards.map((c) => c.as_of)).size).toBe(1);
    expect(cards[0]?.as_of.startsWith(horizon?.at as string)).toBe(true);
    expect(new Set(cards.map((c) => c.version)).size).toBe(1);
    const usage = (await (await get(h, "/v1/usage", { key })).json()) as {
      windows: { policy: string; limit: number; remaining: number }[];
    };
    // At most one charge (none when the test before cached this card already).
    expect(usage.windows.find((w) => w.policy === "downloads")?.remaining).toBeGreaterThanOrEqual(2);
  });
});
