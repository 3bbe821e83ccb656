import { type ChildProcess, spawn } from "node:child_process";
import os from "node:os";
import { join } from "node:path";
import { RapFS } from "@rapfs/sdk";
import { generateKey } from "../src/access/api-key-format";
import { repoRoot } from "../src/config/paths";
import { startBenchServer, stopBenchServer } from "./child";
import type { BenchRow } from "./types";

const SCALE = Number(process.env.RAPFS_BENCH_SDK_SCALE ?? 0.01);
const ROUNDS = Number(process.env.RAPFS_BENCH_ROUNDS ?? 7);
const PER_ROUND = Number(process.env.RAPFS_BENCH_SDK_REQUESTS ?? 1_000);
// 2,000 calls at 10 in flight: each round's p99 is the 20th slowest, not one stall's luck.
const PER_ROUND_CONCURRENT = Number(process.env.RAPFS_BENCH_SDK_REQUESTS_CONCURRENT ?? 2_000);
const CONCURRENCY = 10;
const TRACKS = 200;

type Server = { url: string; key: string; child: ChildProcess };

/**
 * `rapfs start` in its own process (embedded in-memory database, small corpus), so the client
 * side measured here shares its event loop with nothing but the clients.
 */
async function startServer(): Promise<Server> {
  const key = generateKey().key;
  // The in-process online store: fewer moving parts between the clients and their answers.
  const { REDIS_URL: _redis, DATABASE_URL: _database, ...env } = process.env;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(repoRoot, "server/src/cli/main.ts"), "start"],
    {
      cwd: repoRoot,
      env: {
        ...env,
        RAPFS_DATA_DIR: ":memory:",
        RAPFS_CORPUS_SCALE: String(SCALE),
        RAPFS_ADMIN_KEY: key,
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  // The server logs every request (an info line each); only the start's lines are read, and only
  // a tail is kept for an error message. This bench once appended every line to one string and
  // searched it at each chunk: the client process spent more CPU copying the server's log than
  // both clients together, and stalled them while it did.
  let tail = "";
  let found: string | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      if (found) return;
      tail = (tail + chunk.toString()).slice(-8_000);
      found = /"url":"(http:\/\/[^"]+)"/.exec(tail)?.[1];
      if (found) resolve(found);
    });
    child.once("exit", (code) =>
      reject(new Error(`rapfs start exited with ${code}:\n${tail.slice(-2_000)}`)),
    );
  });
  for (;;) {
    const ready = await fetch(`${url}/ready`).catch(() => undefined);
    if (ready?.status === 200) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, key, child };
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const p99 = (values: number[]) => quantile(values, 0.99);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const median = (values: number[]) => quantile(values, 0.5);

/** Latencies (ms) of `count` calls, `concurrency` at a time. */
async function measure(count: number, concurrency: number, call: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const started = performance.now();
      await call(i);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

type SideName = "sdk" | "sdk over fetch" | "fetch" | "fetch again";
type Rounds = Record<SideName, { latencies: number[][]; cpuUs: number[] }>;

/**
 * Every side `rounds` times, in an order that rotates each round so each goes first (and last)
 * as often as the others and drift over the run favours none. Also the client process's CPU per
 * call, the same for every side but the SDK's own work.
 */
async function alternate(
  sides: Record<SideName, (i: number) => Promise<unknown>>,
  count: number,
  concurrency: number,
): Promise<Rounds> {
  const names = Object.keys(sides) as SideName[];
  for (const name of names) await measure(200, concurrency, sides[name]);
  const result = Object.fromEntries(names.map((n) => [n, { latencies: [], cpuUs: [] }])) as unknown as Rounds;
  for (let round = 0; round < ROUNDS; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length] as SideName);
    for (const name of order) {
      const cpu = process.cpuUsage();
      result[name].latencies.push(await measure(count, concurrency, sides[name]));
      const used = process.cpuUsage(cpu);
      result[name].cpuUs.push((used.user + used.system) / count);
    }
  }
  return result;
}

/** The median over rounds of one statistic's ratio, each round's sides measured back to back. */
const ratioOf = (rounds: Rounds, a: SideName, b: SideName, stat: (v: number[]) => number) =>
  median(rounds[a].latencies.map((l, i) => stat(l) / stat(rounds[b].latencies[i] ?? [])));

/**
 * SDK `features.get` against a plain `fetch` of the same URL with the same key, parsing the same
 * JSON, in rotating rounds of the same run; sequential and at 10 concurrent requests, against
 * rapfs and against the floor (Node answering rapfs's own response from memory, where the
 * client's work is not hidden behind the server's). A second, identical bare-fetch side gives the
 * ratio two equal clients get here: the bench's own noise, beside every SDK ratio.
 */
export async function benchSdk(): Promise<BenchRow[]> {
  const server = await startServer();
  let floor: Awaited<ReturnType<typeof startBenchServer<{ url: string }>>> | undefined;
  try {
    const headers = { authorization: `Bearer ${server.key}`, accept: "application/json" };
    const id = (i: number) => (i % TRACKS) + 1;
    const path = (i: number) => `/v1/features/track/${id(i)}?service=hit_predictor`;
    const captured = await fetch(`${server.url}${path(41)}`, { headers });
    const response = {
      status: captured.status,
      headers: { "content-type": captured.headers.get("content-type") ?? "application/json" },
      body: await captured.text(),
    };
    if (captured.status !== 200) throw new Error(`${captured.status} ${response.body}`);
    floor = await startBenchServer<{ url: string }>(join(repoRoot, "server/bench/sdk-floor.ts"), {
      ...process.env,
      RAPFS_BENCH_FLOOR_RESPONSE: JSON.stringify(response),
    });
    const rows: BenchRow[] = [];
    const load = () => os.loadavg()[0]?.toFixed(1);
    for (const target of [
      { name: "rapfs", url: server.url },
      { name: "floor", url: floor.ready.url },
    ]) {
      // The SDK as users make it: on Node its own transport (node:http, sdk/src/internal/node-fetch.ts);
      // `sdk over fetch` is the same client given the global fetch, as in browsers, Bun and Deno,
      // on the bare fetch's undici pool.
      const client = new RapFS({ baseURL: target.url, apiKey: server.key });
      const overFetch = new RapFS({
        baseURL: target.url,
        apiKey: server.key,
        fetch: (u, init) => fetch(u, init),
      });
      const raw = async (i: number) => {
        const answer = await fetch(`${target.url}${path(i)}`, { headers });
        if (!answer.ok) throw new Error(`${answer.status} ${await answer.text()}`);
        return answer.json();
      };
      const sides = {
        sdk: (i: number) => client.features.get("track", id(i), { service: "hit_predictor" }),
        "sdk over fetch": (i: number) => overFetch.features.get("track", id(i), { service: "hit_predictor" }),
        fetch: raw,
        "fetch again": raw,
      };
      for (const concurrency of target.name === "rapfs" ? [1, CONCURRENCY] : [CONCURRENCY]) {
        const count = concurrency === 1 ? PER_ROUND : PER_ROUND_CONCURRENT;
        const loadBefore = load();
        const rounds = await alternate(sides, count, concurrency);
        const label = `${concurrency === 1 ? "sequential" : `${concurrency} concurrent`}${target.name === "floor" ? ", against the floor" : ""}`;
        const all = (side: SideName) => rounds[side].latencies.flat();
        for (const [stat, of] of [
          ["mean", mean],
          ["p99", p99],
        ] as const) {
          const overFetchRatio = ratioOf(rounds, "sdk over fetch", "fetch", of);
          const ratio = ratioOf(rounds, "sdk", "fetch", of);
          const noise = ratioOf(rounds, "fetch again", "fetch", of);
          rows.push({
            workload: `SDK features.get (hit_predictor), ${label}, ${stat} latency`,
            baseline:
              target.name === "floor"
                ? "fetch of the same URL + JSON parse, from Node answering rapfs's response from memory"
                : "fetch of the same URL + JSON parse",
            value: round2(of(all("sdk"))),
            baselineValue: round2(of(all("fetch"))),
            unit: "ms",
            ratio: round2(ratio),
            target: target.name === "floor" ? "(reported)" : "≤ 1.1×",
            met: target.name === "floor" || ratio <= 1.1,
            notes:
              `${ROUNDS} rotating rounds of ${count} calls per side; ratio = median of the per-round ${stat} ratios; ` +
              `a second bare fetch against the first (the bench's own noise): ${noise.toFixed(2)}; ` +
              `the SDK given the global fetch (browsers, Bun, Deno): ${of(all("sdk over fetch")).toFixed(2)} ms, ${overFetchRatio.toFixed(2)}×; ` +
              `client CPU per call: SDK ${median(rounds.sdk.cpuUs).toFixed(0)} µs, over fetch ${median(rounds["sdk over fetch"].cpuUs).toFixed(0)} µs, fetch ${median(rounds.fetch.cpuUs).toFixed(0)} µs; ` +
              `load average ${loadBefore} before, ${load()} after, on ${os.cpus().length} cores`,
          });
        }
      }
    }
    return rows;
  } finally {
    server.child.kill("SIGTERM");
    if (floor) await stopBenchServer(floor.child);
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

if (process.argv[1] === import.meta.filename) {
  for (const row of await benchSdk()) console.log(JSON.stringify(row));
}
