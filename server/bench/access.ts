import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import { repoRoot } from "../src/config/paths";
import type { BenchRow } from "./types";

const SECONDS = Number(process.env.RAPFS_BENCH_SECONDS ?? 10);
const ROUNDS = 3;
const CONNECTIONS = 10;
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SERVER_ENTRY = fileURLToPath(new URL("./access-server.ts", import.meta.url));
// Limits no run can reach, so every request pays the full check and none is refused.
const TIERS = JSON.stringify({ bench: { requests: 1e12, rows: 1e12, downloads: 1e12 } });

type Server = { child: ChildProcess; url: string; key: string; limiter: string };
type Load = { rps: number; p50: number; p99: number; failures: number; cpuUs: number };

/** The server's CPU seconds so far (Linux /proc; 10 ms ticks, fine over thousands of requests). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function startServer(redisUrl: string | undefined, prefix: string): Promise<Server> {
  const child = spawn(process.execPath, ["--import", "tsx", SERVER_ENTRY], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? "",
      LOG_LEVEL: "silent",
      RAPFS_TIERS: TIERS,
      RAPFS_REDIS_PREFIX: prefix,
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`access benchmark server exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", resolve);
  });
  return { child, ...(JSON.parse(line) as Omit<Server, "child">) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** autocannon for `seconds`; latencies per response in fractional ms (its histogram rounds to 1 ms). */
function load(url: string, headers: Record<string, string>, seconds: number, pid?: number): Promise<Load> {
  const latencies: number[] = [];
  let failures = 0;
  const cpuBefore = cpuSeconds(pid);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, headers, connections: CONNECTIONS, duration: seconds },
      (error, result) => {
        if (error) return reject(error);
        const sorted = latencies.sort((a, b) => a - b);
        const at = (p: number) =>
          sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
        resolve({
          rps: latencies.length / seconds,
          p50: at(0.5),
          p99: at(0.99),
          failures: failures + result.errors + result.timeouts,
          cpuUs: ((cpuSeconds(pid) - cpuBefore) * 1e6) / Math.max(1, latencies.length),
        });
      },
    );
    instance.on("response", (_client, status, _bytes, responseTime) => {
      if (status === 200) latencies.push(responseTime);
      else failures++;
    });
  });
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** Alternating rounds of open and authenticated load on one server; medians of each. */
async function measure(server: Server): Promise<{ open: Load; auth: Load; ratios: number[] }> {
  const open = `${server.url}/bench/features/track/42`;
  const auth = `${server.url}/v1/features/track/42`;
  const headers = { authorization: `Bearer ${server.key}` };
  const pid = server.child.pid;
  await load(open, {}, 2);
  await load(auth, headers, 2);
  const opens: Load[] = [];
  const auths: Load[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    opens.push(await load(open, {}, SECONDS, pid));
    auths.push(await load(auth, headers, SECONDS, pid));
  }
  for (const r of [...opens, ...auths]) if (r.failures > 0) throw new Error(`${r.failures} failed requests`);
  const pick = (loads: Load[]): Load => ({
    rps: median(loads.map((l) => l.rps)),
    p50: median(loads.map((l) => l.p50)),
    p99: median(loads.map((l) => l.p99)),
    failures: 0,
    cpuUs: median(loads.map((l) => l.cpuUs)),
  });
  return {
    open: pick(opens),
    auth: pick(auths),
    ratios: opens.map((o, i) => (auths[i] as Load).rps / o.rps),
  };
}

/**
 * What authentication and the quota check cost on a single lookup: one trivial route behind the
 * guard (key verified from the in-process cache, request rate and one row spent) against the same
 * route unauthenticated, in one server process, with autocannon load from this one. Once with the
 * limiter on Redis, once in-process (no REDIS_URL).
 */
export async function benchAccess(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const redis = new Redis(REDIS_URL);
  for (const redisUrl of [REDIS_URL, undefined]) {
    const prefix = `rapfs-bench-access-${randomBytes(4).toString("hex")}`;
    const server = await startServer(redisUrl, prefix);
    try {
      const { open, auth, ratios } = await measure(server);
      const ratio = median(ratios);
      const costUs = (auth.p50 - open.p50) * 1000;
      rows.push({
        workload: `auth + quota check, trivial GET (limiter: ${server.limiter}): throughput`,
        baseline: "the same route without a key",
        value: auth.rps,
        baselineValue: open.rps,
        unit: "req/s",
        ratio,
        target: "≥ 0.5× baseline",
        met: ratio >= 0.5,
        notes:
          `${CONNECTIONS} connections, ${ROUNDS} alternating rounds × ${SECONDS} s, medians; p50 ${auth.p50.toFixed(3)} ms ` +
          `(open ${open.p50.toFixed(3)} ms, ≈ ${costUs.toFixed(0)} µs added), p99 ${auth.p99.toFixed(3)} ms ` +
          `(open ${open.p99.toFixed(3)} ms); server CPU per request ${auth.cpuUs.toFixed(0)} µs (open ` +
          `${open.cpuUs.toFixed(0)} µs); per-round ratios ${ratios.map((r) => r.toFixed(2)).join(", ")}`,
      });
    } finally {
      await stop(server.child);
      let cursor = "0";
      do {
        const [next, found] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1_000);
        cursor = next;
        if (found.length > 0) await redis.unlink(...found);
      } while (cursor !== "0");
    }
  }
  redis.disconnect();
  return rows;
}
