import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Principal } from "../../src/access/verifier";
import { FeatureCodec } from "../../src/api/features/codec";
import { featureLookupLane } from "../../src/api/lanes/feature-lookup";
import { withLanes } from "../../src/api/lanes/lane";
import { httpDependencies } from "../../src/runtime/compose";
import type { RunningServer } from "../../src/runtime/start-server";
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from "../online/redis-harness";
import { call, problem, startServing } from "./support";

const REQUESTS_PER_MINUTE = 60;
const prefix = uniquePrefix();
let server: RunningServer;
/** The lane alone in front of a listener that only records what the lane declined. */
let laneOnly: Server;
let laneUrl: string;
/** The app alone, over HTTP as well, so Node's own headers are on both answers. */
let appOnly: Server;
let appUrl: string;
const declined: string[] = [];
let key: string;
let principal: Principal;

beforeAll(async () => {
  server = await startServing({
    redisUrl: SHARED_REDIS_URL,
    keyPrefix: prefix,
    // Every spend reaches Redis at once, so the windows read below are exact.
    env: {
      RAPFS_QUOTA_LEASE_MS: "0",
      RAPFS_TIERS: JSON.stringify({ free: { requests: REQUESTS_PER_MINUTE, rows: 100_000 } }),
    },
  });
  const signup = await call(server, "/v1/signup", {
    json: { email: "lane@example.com" },
    headers: { authorization: "" },
  });
  key = (signup.body as { key: { key: string } }).key.key;
  const identity = await server.services.access.gate.authenticate(key, null);
  if (!identity.ok) throw new Error("the signed-up key does not authenticate");
  principal = identity.principal;
  const lane = featureLookupLane({ ...httpDependencies(server.services), codec: new FeatureCodec() });
  laneOnly = createServer(
    withLanes(
      [lane],
      (req, res) => {
        declined.push(`${req.method} ${req.url}`);
        res.writeHead(599).end();
      },
      server.services.logger,
    ),
  );
  await new Promise<void>((resolve) => laneOnly.listen(0, "127.0.0.1", resolve));
  laneUrl = `http://127.0.0.1:${(laneOnly.address() as AddressInfo).port}`;
  appOnly = createServer(getRequestListener(server.app.fetch));
  await new Promise<void>((resolve) => appOnly.listen(0, "127.0.0.1", resolve));
  appUrl = `http://127.0.0.1:${(appOnly.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => laneOnly?.close(resolve));
  await new Promise((resolve) => appOnly?.close(resolve));
  await server?.shutdown("test done");
  await deletePrefix(prefix);
});

const auth = (presented = key) => ({ authorization: `Bearer ${presented}` });
const viaLane = (path: string, init: RequestInit = {}) =>
  fetch(`${laneUrl}${path}`, { ...init, headers: { ...auth(), ...(init.headers as object) } });
const viaApp = (path: string) => fetch(`${appUrl}${path}`, { headers: auth() });

/**
 * Every header of an answer but the two that differ per request by design (date, request id);
 * RateLimit with its numbers masked, as each of the two requests spends its own unit.
 */
function comparableHeaders(res: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const { date: _date, "x-request-id": _id, ...rest } = headers;
  if (rest.ratelimit) rest.ratelimit = rest.ratelimit.replaceAll(/\d+/g, "N");
  return rest;
}

async function windows() {
  return (await server.services.access.gate.usage(principal, 1)).windows;
}

/**
 * The units `action` spent. The requests window is a minute from its first spend: one about to
 * end is waited out first, so a reset cannot pass for a refund.
 */
async function spentBy(action: () => Promise<unknown>): Promise<Record<string, number>> {
  const ending = (await windows()).find((w) => w.policy.unit === "requests" && w.resetSeconds < 5);
  if (ending) await new Promise((resolve) => setTimeout(resolve, (ending.resetSeconds + 1) * 1000));
  const before = await windows();
  await action();
  const after = await windows();
  return Object.fromEntries(before.map((w, i) => [w.policy.unit, w.remaining - (after[i]?.remaining ?? 0)]));
}

/** A response's JSON without the request id, which differs per request by design. */
async function bodyOf(res: Response): Promise<unknown> {
  const { request_id: _id, ...rest } = (await res.json()) as Record<string, unknown>;
  return rest;
}

const FEATURES = "qwen_analysis@2:sentiment,qwen_analysis@2:mood,track_profile:popularity";
const TAKEN = [
  `/v1/features/track/5?features=${FEATURES}`,
  "/v1/features/track/7?service=hit_predictor",
  "/v1/features/track/9?features=qwen_analysis@2:*",
  // As URLSearchParams sends it (`@`, `:` and `,` percent-encoded).
  `/v1/features/track/5?${new URLSearchParams({ features: FEATURES })}`,
  "/v1/features/track/11?features=qwen_analysis@1:sentiment&unrelated=1",
  // A track without a row: not_found values, still a 200.
  "/v1/features/track/999999?features=qwen_analysis@2:sentiment",
];

describe("the feature lookup lane", () => {
  it.each(TAKEN)("answers %s with the app's status, body and headers", async (path) => {
    const before = declined.length;
    const lane = await viaLane(path);
    const app = await viaApp(path);
    expect(declined.length).toBe(before);
    expect(lane.status).toBe(200);
    expect(lane.status).toBe(app.status);
    const body = await app.text();
    expect(await lane.text()).toBe(body);
    expect(comparableHeaders(lane)).toEqual(comparableHeaders(app));
    // Again, from memory where the lane kept it (every row held): the same bytes and headers.
    const again = await viaLane(path);
    expect(await again.text()).toBe(body);
    expect(comparableHeaders(again)).toEqual(comparableHeaders(app));
    expect(lane.headers.get("ratelimit")).toMatch(/^"requests";r=\d+;t=\d+, "rows";r=\d+;t=\d+$/);
    expect(lane.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    // Kept out of shared caches, as every authenticated answer is.
    expect(lane.headers.get("cache-control")).toBe("private");
    expect(lane.headers.get("vary")).toBe("Authorization, X-API-Key");
  });

  it("sends header names in lower case, as the app's Fetch headers do", async () => {
    const names = await new Promise<string[]>((resolve, reject) => {
      const path = "/v1/features/track/5?features=qwen_analysis@1:sentiment";
      request(`${laneUrl}${path}`, { headers: auth() }, (res) => {
        res.resume();
        resolve(res.rawHeaders.filter((_, i) => i % 2 === 0));
      })
        .on("error", reject)
        .end();
    });
    // Node's own connection headers are capitalized on the app's answers too.
    const own = ["Date", "Connection", "Keep-Alive"];
    expect(names).toContain("sunset");
    expect(names.filter((name) => !own.includes(name) && name !== name.toLowerCase())).toEqual([]);
  });

  it("announces a deprecated version as the app does", async () => {
    const res = await viaLane("/v1/features/track/5?features=qwen_analysis@1:sentiment");
    expect(res.status).toBe(200);
    expect(res.headers.get("deprecation")).toMatch(/^@\d+$/);
    expect(res.headers.get("link")).toContain('rel="successor-version"');
  });

  it("spends one request and one row per lookup, exactly once", async () => {
    const spent = await spentBy(async () => {
      for (let i = 0; i < 3; i++) expect((await viaLane(TAKEN[0] as string)).status).toBe(200);
    });
    expect(spent).toEqual({ requests: 3, rows: 3, downloads: 0, bytes: 0 });
  });

  // The lane calls the route's own use case, so what that use case refuses is refused the same
  // way through both doors: the same problem, and the request and its row spent, as the app does.
  it.each([
    ["an unknown feature", "/v1/features/track/5?features=qwen_analysis@2:sentimnet"],
    ["an unknown entity", "/v1/features/planet/5?features=qwen_analysis@2:sentiment"],
    ["a bad id", "/v1/features/track/abc?features=qwen_analysis@2:sentiment"],
    ["both features and service", "/v1/features/track/5?features=qwen_analysis@2:mood&service=hit_predictor"],
    ["neither features nor service", "/v1/features/track/5"],
  ])("refuses %s with the app's problem, spending as the app does", async (_what, path) => {
    const before = declined.length;
    let lane: Response | undefined;
    const spentByLane = await spentBy(async () => {
      lane = await viaLane(path);
    });
    let app: Response | undefined;
    const spentByApp = await spentBy(async () => {
      app = await viaApp(path);
    });
    expect(declined.length).toBe(before);
    expect(lane?.status).toBeGreaterThanOrEqual(400);
    expect(lane?.status).toBe(app?.status);
    expect(await bodyOf(lane as Response)).toEqual(await bodyOf(app as Response));
    expect(comparableHeaders(lane as Response)).toEqual(comparableHeaders(app as Response));
    expect(spentByLane).toEqual(spentByApp);
  });

  it.each([
    [
      "repeated features",
      "/v1/features/track/5?features=qwen_analysis@2:mood&features=qwen_analysis@2:sentiment",
      {},
    ],
    ["a percent-encoded path", "/v1/features/artist/Some%20Artist?features=artist_profile:*", {}],
    ["an encoded parameter name", "/v1/features/track/5?%66eatures=qwen_analysis@2:mood", {}],
    ["a malformed escape", "/v1/features/track/5?features=qwen_analysis%ZZ", {}],
    ["a longer path", "/v1/features/track/5/more?features=qwen_analysis@2:mood", {}],
    ["another method", "/v1/features/track/5?features=qwen_analysis@2:mood", { method: "DELETE" }],
    [
      "a missing key",
      "/v1/features/track/5?features=qwen_analysis@2:mood",
      { headers: { authorization: "" } },
    ],
    ["an unknown key", "/v1/features/track/5?features=qwen_analysis@2:mood", { headers: auth("rapfs_nope") }],
  ])("hands %s to the app, having spent nothing", async (_what, path, init: RequestInit) => {
    const at = declined.length;
    const spent = await spentBy(async () => expect((await viaLane(path, init)).status).toBe(599));
    expect(declined.slice(at)).toEqual([`${init.method ?? "GET"} ${path}`]);
    expect(spent).toEqual({ requests: 0, rows: 0, downloads: 0, bytes: 0 });
  });

  it("hands a GET with a body to the app, having spent nothing", async () => {
    const at = declined.length;
    const path = TAKEN[0] as string;
    const spent = await spentBy(async () => {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = request(
          `${laneUrl}${path}`,
          {
            method: "GET",
            headers: { ...auth(), "content-type": "application/json", "content-length": "2" },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        );
        req.on("error", reject);
        req.end("{}");
      });
      expect(status).toBe(599);
    });
    expect(declined.slice(at)).toEqual([`GET ${path}`]);
    expect(spent).toEqual({ requests: 0, rows: 0, downloads: 0, bytes: 0 });
  });

  it("hands a selection with a NUL byte to the app, whose validation names it (nul_byte), having spent nothing", async () => {
    for (const path of [
      "/v1/features/track/5?features=%00",
      "/v1/features/track/5?service=hit%00predictor",
    ]) {
      const at = declined.length;
      const spent = await spentBy(async () => expect((await viaLane(path)).status).toBe(599));
      expect(declined.slice(at)).toEqual([`GET ${path}`]);
      expect(spent).toEqual({ requests: 0, rows: 0, downloads: 0, bytes: 0 });
      const app = await viaApp(path);
      expect(app.status).toBe(400);
      expect(await app.json()).toMatchObject({ errors: [expect.objectContaining({ code: "nul_byte" })] });
    }
  });

  it("hands a lookup to the app when its key cannot be checked (the database away), spending nothing", async () => {
    const { gate } = server.services.access;
    const spy = vi.spyOn(gate, "authenticate").mockRejectedValueOnce(new Error("connection refused"));
    try {
      const at = declined.length;
      const spent = await spentBy(async () => expect((await viaLane(TAKEN[0] as string)).status).toBe(599));
      expect(declined.length - at).toBe(1);
      expect(spent).toEqual({ requests: 0, rows: 0, downloads: 0, bytes: 0 });
    } finally {
      spy.mockRestore();
    }
  });

  it("keeps the client's request id, and makes one otherwise", async () => {
    const res = await viaLane(TAKEN[0] as string, { headers: { "x-request-id": "trace-42" } });
    expect(res.headers.get("x-request-id")).toBe("trace-42");
    const forged = "x".repeat(129);
    const res2 = await viaLane(TAKEN[0] as string, { headers: { "x-request-id": forged } });
    expect(res2.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("counts its answers in the route's metrics", async () => {
    const { httpRequests } = server.services.metrics;
    const labels = { method: "GET", route: "/v1/features/:entity/:id", status: "200" };
    const count = async () =>
      (await httpRequests.get()).values.find(
        (v) => v.labels.route === labels.route && v.labels.status === labels.status,
      )?.value ?? 0;
    const before = await count();
    await viaLane(TAKEN[1] as string);
    expect((await count()) - before).toBe(1);
  });

  it("answers a failed read with a problem carrying the request id, the request spent", async () => {
    const { features } = server.services.serving;
    const spy = vi.spyOn(features, "read").mockRejectedValueOnce(new Error("the store broke"));
    try {
      const spent = await spentBy(async () => {
        // A URL not asked before: a lookup the lane kept is answered again without a read.
        const unread = `${TAKEN[0]}&unrelated=read-fails`;
        const res = await viaLane(unread, { headers: { "x-request-id": "broken-read" } });
        const body = problem({ status: res.status, headers: res.headers, body: await res.json() }, 500);
        expect(body).toMatchObject({ code: "INTERNAL_ERROR", request_id: "broken-read" });
        expect(body.instance).toBe("/v1/features/track/5");
      });
      expect(spent).toEqual({ requests: 1, rows: 1, downloads: 0, bytes: 0 });
    } finally {
      spy.mockRestore();
    }
  });

  it("refuses over the rate limit with the app's 429", async () => {
    let lane = await viaLane(TAKEN[1] as string);
    for (let i = 0; lane.status === 200 && i <= REQUESTS_PER_MINUTE; i++)
      lane = await viaLane(TAKEN[1] as string);
    const app = await viaApp(TAKEN[1] as string);
    expect(lane.status).toBe(429);
    expect(app.status).toBe(429);
    expect(lane.headers.get("content-type")).toBe("application/problem+json");
    expect(lane.headers.get("ratelimit-policy")).toBe(app.headers.get("ratelimit-policy"));
    // The seconds to the reset may tick between the two answers; everything else is the same.
    const seconds = (text: string) => text.replace(/t=\d+|Retry after \d+|"reset_seconds":\d+/g, "#");
    expect(seconds(lane.headers.get("ratelimit") ?? "")).toBe(seconds(app.headers.get("ratelimit") ?? ""));
    expect(lane.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(seconds(JSON.stringify(await bodyOf(lane)))).toBe(seconds(JSON.stringify(await bodyOf(app))));
  });
});
