import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { generateKey } from "../src/access/api-key-format";
import { repoRoot } from "../src/config/paths";
import { deleteRunKeys, startBenchServer, stopBenchServer } from "./child";
import { alternate, type Measured, type Side } from "./load";
import { startBeforeServer } from "./online-before";
import { bareKeys, hashFields } from "./online-keys";
import { onlineRows } from "./online-rows";
import type { BenchRow } from "./types";

const SCALE = Number(process.env.RAPFS_BENCH_ONLINE_SCALE ?? 1);
const SECONDS = Number(process.env.RAPFS_BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.RAPFS_BENCH_ROUNDS ?? 3);
/** Offered loads of the paced single-lookup runs, as shares of the HGETALL baseline's capacity. */
const PACED_SHARES = [0.25, 0.5];
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SERVER_ENTRY = fileURLToPath(new URL("./online-server.ts", import.meta.url));
/** A git ref: the same lookups against the server as that commit built it, in the same run. */
const BEFORE = process.env.RAPFS_BENCH_ONLINE_BEFORE;

type Urls = { url: string; bare: string; app: string; floor: string };
type Child = { child: ChildProcess; urls: Urls };

const DATA_DIR = join(repoRoot, ".rapfs-bench", `online-scale-${SCALE}`);

function childEnv(prefix: string, adminKey: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RAPFS_DATA_DIR: DATA_DIR,
    RAPFS_CORPUS_SCALE: String(SCALE),
    REDIS_URL,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "warn",
    RAPFS_ADMIN_KEY: adminKey,
    // Quotas are checked on every request (Redis limiter), but set high enough never to refuse.
    RAPFS_TIERS: JSON.stringify({ free: { requests: 1e12, rows: 1e12 } }),
    BENCH_PREFIX: prefix,
  };
}

/** The server child: the real server over a persistent embedded data dir, plus the bare handlers. */
async function startChild(prefix: string, adminKey: string): Promise<Child> {
  process.stderr.write(
    `online bench: server over ${DATA_DIR} (generated on first use; minutes at scale 1)\n`,
  );
  const { child, ready } = await startBenchServer<Urls>(SERVER_ENTRY, childEnv(prefix, adminKey));
  return { child, urls: ready };
}

/** The same child as BEFORE built it, or undefined without RAPFS_BENCH_ONLINE_BEFORE. */
async function startBeforeChild(prefix: string, adminKey: string) {
  if (!BEFORE) return undefined;
  const { child, ready, commit } = await startBeforeServer<Urls>(
    BEFORE,
    DATA_DIR,
    childEnv(`${prefix}-before`, adminKey),
  );
  return { child, urls: ready, commit };
}

async function api<T>(url: string, headers: Record<string, string>, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function report(label: string, sides: string[], results: Measured[]): void {
  results.forEach((r, i) => {
    const late = r.late ? `, ${r.late} sent late by the generator` : "";
    const figures = `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.cpuUs.toFixed(0)} µs CPU/req, ${r.failures} failed${late}`;
    process.stderr.write(`  ${label} ${sides[i]}: ${figures}\n`);
  });
}

/** rapfs's answer to `url` as sent: its body, and its headers but those Node's http adds itself. */
async function answered(url: string, headers: Record<string, string>) {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  const body = await res.text();
  const added = new Set(["connection", "keep-alive", "date", "content-length", "transfer-encoding"]);
  const sent: [string, string][] = [];
  res.headers.forEach((value, name) => {
    if (!added.has(name)) sent.push([name, value]);
  });
  return { body, headers: sent };
}

type Values = Record<string, { status: string }>;
type Rows = { rows: { id: number; features: Values }[] };
type Neighbors = { neighbors: { id: number }[] };

/**
 * One track × 50 features and a batch of 100 tracks × 50 features against bare Hono handlers
 * reading the same values from Redis hashes (the brief's baselines), and top-10 lyrics search
 * against the bare exact scan; the real server in a child process, autocannon load from this one.
 */
export async function benchOnline(): Promise<BenchRow[]> {
  const prefix = `rapfs-bench-${randomBytes(4).toString("hex")}`;
  const redis = new Redis(REDIS_URL);
  const { child, urls } = await startChild(prefix, generateKey().key);
  const before = await startBeforeChild(prefix, generateKey().key).catch(async (error: unknown) => {
    await stopBenchServer(child);
    throw error;
  });
  const pid = child.pid;
  const at = (connections: number) => ({ rounds: ROUNDS, seconds: SECONDS, connections, pid });
  try {
    // A self-service key of the free tier: every request is authenticated and quota-checked.
    const signup = await api<{ key: { key: string } }>(
      `${urls.url}/v1/signup`,
      {},
      { email: `${prefix}@bench.example` },
    );
    const auth = { authorization: `Bearer ${signup.key.key}` };
    const signUp = async (url: string, email: string) => {
      const signed = await api<{ key: { key: string } }>(
        `${url}/v1/signup`,
        {},
        { email: `${email}@bench.example` },
      );
      return { authorization: `Bearer ${signed.key.key}` };
    };
    const service = await api<{ features: string[] }>(`${urls.url}/v1/registry/services/hit_predictor`, auth);
    const features = [...service.features, "qwen_analysis@2:mood", "qwen_analysis@2:sentiment"].slice(0, 50);
    // Tracks with a row in every view read, so no request needs Postgres for a not-found row.
    const probe = await api<Rows>(`${urls.url}/v1/features/track/batch`, auth, {
      ids: Array.from({ length: 1_000 }, (_, i) => i + 1),
      features,
    });
    const complete = probe.rows.filter((r) =>
      Object.values(r.features).every((v) => v.status !== "not_found"),
    );
    const ids = complete.slice(0, 100).map((r) => r.id);
    const one = ids[0] as number;
    const keys = bareKeys(prefix);

    const onePath = `/v1/features/track/${one}?features=${features.join(",")}`;
    const oneAnswer = await answered(`${urls.url}${onePath}`, auth);
    const oneBody = JSON.parse(oneAnswer.body) as { features: Values };
    await redis.set(keys.one, oneAnswer.body);
    await redis.set(keys.oneHeaders, JSON.stringify(oneAnswer.headers));
    await redis.hset(keys.oneHash, ...hashFields(oneBody.features));
    const singleSides: Side[] = [
      { url: `${urls.url}${onePath}`, headers: auth },
      { url: `${urls.bare}/one-hash/track/${one}` },
      { url: `${urls.bare}/one` },
    ];
    // The same lookup through the Hono app, as without the lookup lane in front of it.
    const viaApp: Side = { url: `${urls.app}${onePath}`, headers: auth };
    // What any Node server gets on these cores: the finished response from memory, no work at all,
    // for the same request (its 1.5 KB URL, its key) with the same bytes back (rapfs's headers too).
    const floor: Side = { url: `${urls.floor}${onePath}`, headers: auth };
    const beforeAuth = before && (await signUp(before.urls.url, `${prefix}-before`));
    const beforeSingle: Side[] = before
      ? [
          { url: `${before.urls.url}${onePath}`, headers: beforeAuth, pid: before.child.pid },
          { url: `${before.urls.app}${onePath}`, headers: beforeAuth, pid: before.child.pid },
        ]
      : [];
    const single = await alternate([...singleSides, viaApp, floor, ...beforeSingle], at(10));
    const beforeNames = before ? [`${before.commit} lane`, `${before.commit} app`] : [];
    report("1 × 50", ["rapfs", "HGETALL", "GET", "rapfs app", "floor", ...beforeNames], single);
    // Latency at a steady offered load, as a service's clients send it, next to the saturated
    // figure above (where p99 is mostly the queue of 10 connections on 2 shared cores).
    const capacity = (single[1] as Measured).rps;
    const singlePaced = [];
    for (const share of PACED_SHARES) {
      const rate = Math.max(100, Math.round((capacity * share) / 100) * 100);
      const measured = await alternate([...singleSides, floor], { ...at(10), rate });
      report(`1 × 50 paced at ${rate} req/s`, ["rapfs", "HGETALL", "GET", "floor"], measured);
      singlePaced.push({ share, rate, measured });
    }

    const batchBody = JSON.stringify({ ids, features });
    const batchRows = await api<Rows>(`${urls.url}/v1/features/track/batch`, auth, JSON.parse(batchBody));
    for (const row of batchRows.rows) await redis.hset(keys.rowHash(row.id), ...hashFields(row.features));
    const columnsBody = JSON.stringify({ ids, features, format: "columns" });
    const batchSides: Side[] = [
      { url: `${urls.url}/v1/features/track/batch`, method: "POST", headers: auth, body: batchBody },
      { url: `${urls.url}/v1/features/track/batch`, method: "POST", headers: auth, body: columnsBody },
      { url: `${urls.bare}/batch`, method: "POST", body: JSON.stringify({ entity: "track", ids, features }) },
    ];
    const batch1 = await alternate(batchSides, at(1));
    report("100 × 50, 1 connection", ["rapfs rows", "rapfs columns", "bare"], batch1);
    const beforeBatch: Side[] = before
      ? [
          {
            ...(batchSides[0] as Side),
            url: `${before.urls.url}/v1/features/track/batch`,
            headers: beforeAuth,
            pid: before.child.pid,
          },
          {
            ...(batchSides[1] as Side),
            url: `${before.urls.url}/v1/features/track/batch`,
            headers: beforeAuth,
            pid: before.child.pid,
          },
        ]
      : [];
    const batch10 = await alternate([...batchSides, ...beforeBatch], at(10));
    const beforeBatchNames = before ? [`${before.commit} rows`, `${before.commit} columns`] : [];
    report("100 × 50, 10 connections", ["rapfs rows", "rapfs columns", "bare", ...beforeBatchNames], batch10);

    // The same batch with 13 of its 50 features the artist's, through the track's artist relation:
    // what the second round trip (all distinct artists at once) costs against the plain batch.
    const relatedFeatures = [...features.slice(0, 37), "artist_stats@1:*"];
    const relatedBody = JSON.stringify({ ids, features: relatedFeatures, format: "columns" });
    const relationSides: Side[] = [
      { url: `${urls.url}/v1/features/track/batch`, method: "POST", headers: auth, body: relatedBody },
      batchSides[1] as Side,
    ];
    const relation1 = await alternate(relationSides, at(1));
    report("100 × 50 with 13 artist features, 1 connection", ["rapfs related", "rapfs own"], relation1);

    const vectors = await api<{ items: { vector: number[] | null }[] }>(
      `${urls.url}/v1/embeddings/lyrics/batch`,
      auth,
      {
        ids: Array.from({ length: 60 }, (_, i) => 1 + i * 97),
      },
    );
    const queries = vectors.items.flatMap((i) =>
      i.vector ? [i.vector.map((x, d) => x + ((d % 5) - 2) * 1e-3)] : [],
    );
    const searchBody = JSON.stringify({ vector: queries[0], k: 10 });
    const searchSides: Side[] = [
      { url: `${urls.url}/v1/embeddings/lyrics/search`, method: "POST", headers: auth, body: searchBody },
      { url: `${urls.bare}/search`, method: "POST", body: searchBody },
    ];
    const search1 = await alternate(searchSides, at(1));
    report("search, 1 connection", ["rapfs", "SQL scan"], search1);
    const search10 = await alternate(searchSides, at(10));
    report("search, 10 connections", ["rapfs", "SQL scan"], search10);

    let overlap = 0;
    for (const vector of queries.slice(0, 50)) {
      const got = await api<Neighbors>(`${urls.url}/v1/embeddings/lyrics/search`, auth, { vector, k: 10 });
      const exact = await api<Neighbors>(`${urls.bare}/search`, {}, { vector, k: 10 });
      const found = new Set(got.neighbors.map((n) => n.id));
      overlap += exact.neighbors.filter((n) => found.has(n.id)).length / 10;
    }
    const recall = overlap / Math.min(50, queries.length);
    const setup = `scale ${SCALE} embedded PGlite + Redis, server in a child process, ${ROUNDS} alternating rounds × ${SECONDS} s, medians`;
    const comparison = before && { commit: before.commit };
    return onlineRows({
      setup,
      single,
      singlePaced,
      batch1,
      batch10,
      relation1,
      search1,
      search10,
      recall,
      ...(comparison ? { before: comparison } : {}),
    });
  } finally {
    await stopBenchServer(child);
    if (before) await stopBenchServer(before.child);
    await deleteRunKeys(redis, prefix);
    await deleteRunKeys(redis, `${prefix}-before`);
    redis.disconnect();
  }
}
