import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/runtime/start-server";
import { ADMIN_KEY, startServing } from "../serving/support";
import { type Operation, tryItRequest } from "./try-it";

// Every operation's "try it", sent as Scalar first sends it, against the real server (scale-0.01
// corpus, shipped definitions) in-process, with the operator's key.

let running: RunningServer;
let paths: Record<string, Record<string, Operation>>;

beforeAll(async () => {
  running = await startServing();
  paths = (await (await running.app.request("/openapi.json")).json()).paths;
});
afterAll(async () => {
  await running?.shutdown("test done");
});

const send = async (method: string, path: string, id?: string) => {
  const request = tryItRequest(method, path, paths[path]?.[method] ?? {}, ADMIN_KEY);
  const url = id ? request.url.replace(/^(\/v1\/[a-z/]+\/)[^/?]+/, `$1${id}`) : request.url;
  const response = await running.app.request(url, request.init);
  const text = await response.text();
  return { request: { ...request, url }, status: response.status, text };
};

const created = async (path: string, body: unknown) => {
  const response = await running.app.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id?: string; account?: { id: string } };
};

/**
 * Operations on one key or account: the example id names none on this server, so the first Send
 * is a 404 that says so (never a 400); with the id of one that exists, the example succeeds.
 */
const ON_AN_EXISTING = {
  "post /v1/keys/{id}/rotate": async () => (await created("/v1/keys", { scopes: ["features:read"] })).id,
  "delete /v1/keys/{id}": async () => (await created("/v1/keys", { scopes: ["features:read"] })).id,
  "patch /v1/admin/accounts/{id}": async () =>
    (await created("/v1/signup", { email: "grace@example.com" })).account?.id,
} as Record<string, () => Promise<string | undefined>>;

describe("the API reference's try it", () => {
  it("answers 2xx on the first Send of every operation", { timeout: 120_000 }, async () => {
    const results: string[] = [];
    let sent = 0;
    for (const [path, operations] of Object.entries(paths)) {
      for (const method of Object.keys(operations)) {
        const existing = ON_AN_EXISTING[`${method} ${path}`];
        const asSent = await send(method, path);
        const { request, status, text } = existing ? await send(method, path, await existing()) : asSent;
        sent++;
        if (existing && asSent.status !== 404)
          results.push(`${method} ${path} as sent → ${asSent.status}, not 404`);
        if (status >= 300 || request.missing.length > 0)
          results.push(
            `${method.toUpperCase()} ${request.url} → ${status} ${request.missing.join(", ")} ${text.slice(0, 300)}`,
          );
      }
    }
    expect(results).toEqual([]);
    expect(sent).toBe(29);
  });
});
