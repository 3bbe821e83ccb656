import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, limiterBackend, type ServerProcess } from "../access-http/processes";
import { fivexx, mixedLoad, newTally, pollReady, send } from "./load";
import { type Stack, startStack } from "./stack";

let stack: Stack;
let servers: ServerProcess[];

beforeAll(async () => {
  stack = await startStack(2);
  servers = stack.servers;
}, 300_000);
afterAll(async () => {
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("two server processes on one Postgres and one Redis", () => {
  it("serve 20 s of mixed load with Redis killed and restarted in the middle, without a 5xx", async () => {
    const tally = newTally();
    const outage = newTally();
    const load = mixedLoad({
      servers,
      key: stack.adminKey,
      durationMs: 20_000,
      workers: 12,
      maxRequests: 200_000,
      tally,
    });
    // Readiness under full dataset downloads, lookups and a Redis outage: never 503 while the
    // database answers.
    const readiness = pollReady(servers, load);
    await sleep(6_000);
    stack.redis?.down();
    // Requests sent while Redis is gone, counted apart: reads come from Postgres.
    const during = mixedLoad({
      servers,
      key: stack.adminKey,
      durationMs: 5_000,
      workers: 4,
      maxRequests: 20_000,
      tally: outage,
    });
    await during;
    expect(await Promise.all(servers.map(limiterBackend))).toEqual(["insurance", "insurance"]);
    stack.redis?.up();
    await load;
    const ready = await readiness;
    console.info(
      `mixed load: ${JSON.stringify(tally)}\nduring the Redis outage: ${JSON.stringify(outage)}\n/ready statuses: ${JSON.stringify(ready)}`,
    );
    expect(Object.keys(ready)).toEqual(["200"]);
    expect(tally.failures).toEqual([]);
    expect(outage.failures).toEqual([]);
    expect(fivexx(tally) + fivexx(outage)).toBe(0);
    for (const kind of ["single", "batch", "search", "download"] as const) {
      expect(tally.byKind[kind][200] ?? 0).toBeGreaterThan(0);
      expect(outage.byKind[kind][200] ?? 0).toBeGreaterThan(0);
    }
    await eventually(async () => {
      expect(await Promise.all(servers.map(limiterBackend))).toEqual(["redis", "redis"]);
    }, 30_000);
  });

  it("answer 503 problem+json while Postgres is unreachable and recover without a restart", async () => {
    await stack.proxy.cut();
    const statuses: number[] = [];
    try {
      for (let n = 0; n < 60; n++) {
        const server = servers[n % 2] as ServerProcess;
        const res = await fetch(`${server.url}/v1/embeddings/lyrics/search`, {
          method: "POST",
          headers: { authorization: `Bearer ${stack.adminKey}`, "content-type": "application/json" },
          body: JSON.stringify({ id: (n % 200) + 1, k: 5 }),
        });
        statuses.push(res.status);
        if (res.status >= 500) {
          expect(res.status).toBe(503);
          expect(res.headers.get("content-type")).toContain("application/problem+json");
          expect(res.headers.get("retry-after")).toBe("1");
          expect(await res.json()).toMatchObject({ status: 503, title: expect.any(String) });
        } else await res.arrayBuffer();
      }
      // /ready reuses its report for a second: 60 searches answered from memory can all fit in it.
      for (const server of servers)
        await eventually(async () => {
          expect((await fetch(`${server.url}/ready`)).status).toBe(503);
        }, 10_000);
    } finally {
      await stack.proxy.restore();
    }
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    for (const server of servers) {
      await eventually(async () => {
        expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      }, 30_000);
    }
    console.info(
      `Postgres cut: ${statuses.length} searches (${statuses.filter((x) => x === 503).length} × 503), ready again after the cut`,
    );
    const after = newTally();
    for (let n = 0; n < 40; n++)
      await send(servers[n % 2] as ServerProcess, stack.adminKey, "search", n, after);
    // One of the small corpus' tracks has no lyrics: a 404, as before the outage.
    expect(after.failures).toEqual([]);
    expect(fivexx(after)).toBe(0);
    expect((after.byStatus[200] ?? 0) + (after.byStatus[404] ?? 0)).toBe(40);
  });
});
