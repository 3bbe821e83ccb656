import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { deleteRunKeys, startBenchServer, stopBenchServer } from "./child";
import { alternate, type Measured, median } from "./load";
import type { BenchRow } from "./types";

const SECONDS = Number(process.env.RAPFS_BENCH_SECONDS ?? 10);
const ROUNDS = 3;
const CONNECTIONS = 10;
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SERVER_ENTRY = fileURLToPath(new URL("./access-server.ts", import.meta.url));
// Limits no run can reach, so every request pays the full check and none is refused.
const TIERS = JSON.stringify({ bench: { requests: 1e12, rows: 1e12, downloads: 1e12 } });

type Server = { child: ChildProcess; url: string; key: string; limiter: string };

/** The limiter set-ups compared: leased units on Redis (the default), a script per spend, in-process. */
const LIMITERS = [
  { label: "redis, leased units", redisUrl: REDIS_URL, leaseMs: "250" },
  { label: "redis, a script per spend", redisUrl: REDIS_URL, leaseMs: "0" },
  { label: "memory", redisUrl: undefined, leaseMs: "0" },
];

async function startServer(limiter: (typeof LIMITERS)[number], prefix: string): Promise<Server> {
  const { child, ready } = await startBenchServer<Omit<Server, "child">>(SERVER_ENTRY, {
    PATH: process.env.PATH ?? "",
    LOG_LEVEL: "silent",
    RAPFS_TIERS: TIERS,
    RAPFS_REDIS_PREFIX: prefix,
    RAPFS_QUOTA_LEASE_MS: limiter.leaseMs,
    ...(limiter.redisUrl ? { REDIS_URL: limiter.redisUrl } : {}),
  });
  if (ready.limiter !== (limiter.redisUrl ? "redis" : "memory")) {
    throw new Error(`access bench: the ${limiter.label} server decides on ${ready.limiter}`);
  }
  return { child, ...ready, limiter: limiter.label };
}

/** Alternating rounds of open and authenticated load on one server; medians of each. */
async function measure(server: Server): Promise<{ open: Measured; auth: Measured; ratios: number[] }> {
  const sides = [
    { url: `${server.url}/bench/features/track/42` },
    { url: `${server.url}/v1/features/track/42`, headers: { authorization: `Bearer ${server.key}` } },
  ];
  const options = { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, pid: server.child.pid };
  const [open, auth] = (await alternate(sides, options)) as [Measured, Measured];
  if (open.failures + auth.failures > 0) throw new Error(`${open.failures + auth.failures} failed requests`);
  return { open, auth, ratios: open.rounds.map((o, i) => (auth.rounds[i]?.rps ?? Number.NaN) / o.rps) };
}

/**
 * What authentication and the quota check cost on a single lookup: one trivial route behind the
 * guard (key verified from the in-process cache, request rate and one row spent) against the same
 * route unauthenticated, in one server process, with autocannon load from this one. Once per
 * limiter set-up (LIMITERS).
 */
export async function benchAccess(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const redis = new Redis(REDIS_URL);
  for (const limiter of LIMITERS) {
    const prefix = `rapfs-bench-access-${randomBytes(4).toString("hex")}`;
    const server = await startServer(limiter, prefix);
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
      await stopBenchServer(server.child);
      await deleteRunKeys(redis, prefix);
    }
  }
  redis.disconnect();
  return rows;
}
