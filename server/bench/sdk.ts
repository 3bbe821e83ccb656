import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { RapFS } from "@rapfs/sdk";
import { generateKey } from "../src/access/api-key-format";
import { repoRoot } from "../src/config/paths";
import type { BenchRow } from "./types";

const SCALE = Number(process.env.RAPFS_BENCH_SDK_SCALE ?? 0.01);
const ROUNDS = Number(process.env.RAPFS_BENCH_ROUNDS ?? 7);
const PER_ROUND = Number(process.env.RAPFS_BENCH_SDK_REQUESTS ?? 1_000);
const CONCURRENCY = 10;
const TRACKS = 200;

type Server = { url: string; key: string; child: ChildProcess };

/**
 * `rapfs start` in its own process (embedded in-memory database, small corpus), so the client
 * side measured here shares its event loop with nothing but the two clients.
 */
async function startServer(): Promise<Server> {
  const key = generateKey().key;
  // The in-process online store: fewer moving parts between the two clients and their answers.
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
  let log = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const found = /"url":"(http:\/\/[^"]+)"/.exec(log);
      if (found) resolve(found[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`rapfs start exited with ${code}:\n${log.slice(-2_000)}`)));
  });
  for (;;) {
    const ready = await fetch(`${url}/ready`).catch(() => undefined);
    if (ready?.status === 200) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, key, child };
}

const p99 = (values: number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.99,
  );
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

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

/**
 * SDK `features.get` against a plain `fetch` of the same URL with the same key, parsing the same
 * JSON, in alternating rounds of the same run; sequential and at 10 concurrent requests.
 */
export async function benchSdk(): Promise<BenchRow[]> {
  const server = await startServer();
  try {
    const client = new RapFS({ baseURL: server.url, apiKey: server.key });
    const headers = { authorization: `Bearer ${server.key}`, accept: "application/json" };
    const path = (i: number) => `/v1/features/track/${(i % TRACKS) + 1}?service=hit_predictor`;
    const sdk = (i: number) => client.features.get("track", (i % TRACKS) + 1, { service: "hit_predictor" });
    const raw = async (i: number) => {
      const response = await fetch(`${server.url}${path(i)}`, { headers });
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
      return response.json();
    };
    const rows: BenchRow[] = [];
    for (const concurrency of [1, CONCURRENCY]) {
      await measure(200, concurrency, sdk);
      await measure(200, concurrency, raw);
      const all = { sdk: [] as number[], raw: [] as number[] };
      const ratios = { mean: [] as number[], p99: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        // Which goes first alternates, so drift over the run favours neither.
        const order = round % 2 === 0 ? (["sdk", "raw"] as const) : (["raw", "sdk"] as const);
        const got = { sdk: [] as number[], raw: [] as number[] };
        for (const name of order)
          got[name] = await measure(PER_ROUND, concurrency, name === "sdk" ? sdk : raw);
        all.sdk.push(...got.sdk);
        all.raw.push(...got.raw);
        ratios.mean.push(mean(got.sdk) / mean(got.raw));
        ratios.p99.push(p99(got.sdk) / p99(got.raw));
      }
      const label = concurrency === 1 ? "sequential" : `${concurrency} concurrent`;
      const figures = [
        { stat: "mean", sdk: mean(all.sdk), raw: mean(all.raw), ratio: median(ratios.mean) },
        { stat: "p99", sdk: p99(all.sdk), raw: p99(all.raw), ratio: median(ratios.p99) },
      ];
      for (const f of figures) {
        const ratio = f.ratio;
        rows.push({
          workload: `SDK features.get (hit_predictor), ${label}, ${f.stat} latency`,
          baseline: "fetch of the same URL + JSON parse",
          value: round2(f.sdk),
          baselineValue: round2(f.raw),
          unit: "ms",
          ratio: round2(ratio),
          target: "≤ 1.1×",
          met: ratio <= 1.1,
          notes: `${ROUNDS} alternating rounds of ${PER_ROUND} calls each; ratio = median of the per-round ${f.stat} ratios`,
        });
      }
    }
    return rows;
  } finally {
    server.child.kill("SIGTERM");
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

if (process.argv[1] === import.meta.filename) {
  for (const row of await benchSdk()) console.log(JSON.stringify(row));
}
