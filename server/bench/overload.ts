import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { repoRoot } from "../src/config/paths";
import { SLICE_TARGET_MS } from "../src/datasets/pacer";
import { startServerProcess, waitLogged, waitReady } from "../test/access-http/processes";
import { overload, overloadEnv, PROBES, p99, serverFailure } from "../test/support/overload";
import { keptRows } from "./report";
import type { BenchRow } from "./types";

// The README's scale: the cost of the offline side grows with the data, so it is shown here.
const SCALE = process.env.RAPFS_BENCH_OVERLOAD_SCALE ?? "1";
const QUIET_MS = 15_000;
const LOADED_MS = 60_000;
const TRAINING_ROWS = Number(process.env.RAPFS_BENCH_OVERLOAD_TRAINING_ROWS ?? 10_000);
// A server PostgreSQL with pgvector (an empty database gets the corpus on first start); unset,
// the embedded default.
const DATABASE_URL = process.env.RAPFS_BENCH_OVERLOAD_DATABASE_URL;

/** The machine's floor: Node answering a finished response from memory, probed the same way. */
export async function floorP99(): Promise<number> {
  const body = Buffer.from('{"status":"ok"}');
  const server = createServer((_, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end(body),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const times: number[] = [];
  for (let i = 0; i < 1_000; i++) {
    const started = performance.now();
    await (await fetch(url)).arrayBuffer();
    times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  server.close();
  return p99(times);
}

/** One series of /metrics (the first sample whose name and labels start with `series`). */
async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(series));
  return Number(line?.split(" ").at(-1) ?? Number.NaN);
}

/**
 * `pnpm bench overload`: the embedded default at scale 1, four free keys running the most
 * expensive requests a free key may make for 60 s, while a fifth client times lookups (known and
 * never-seen keys), /v1/usage, signups and /ready — against the same probes with no load, and
 * the machine's floor. Also the longest time bulk work held the embedded database's one backend.
 */
export async function benchOverload(): Promise<BenchRow[]> {
  const dataDir = join(repoRoot, ".rapfs-bench", `overload-scale-${SCALE}`);
  const server = await startServerProcess("bench-overload", {
    ...overloadEnv(SCALE),
    RAPFS_DATA_DIR: dataDir,
    ...(DATABASE_URL ? { DATABASE_URL } : {}),
    LOG_LEVEL: "debug",
  });
  try {
    await waitReady(server);
    // The quiet phase measures the server as it serves from then on, not its warm-up.
    await waitLogged(server, "warm-up done");
    const load = overload(server.url, {
      tracks: Math.max(1, Math.floor(57_718 * Number(SCALE))),
      trainingRows: TRAINING_ROWS,
    });
    await load.prepare(QUIET_MS, LOADED_MS);
    const floor = await floorP99();
    const held = (name: string) => metric(server.url, `rapfs_embedded_backend_${name}{class="bulk"}`);
    await held("hold_max_seconds");
    const longBefore = await held("long_holds_total");
    const outputBefore = server.output().length;
    const { quiet, loaded, statuses } = await load.run(QUIET_MS, LOADED_MS);
    const longest = (await held("hold_max_seconds")) * 1000;
    const long = (await held("long_holds_total")) - longBefore;
    const holds = await held("holds_total");
    const longHolds = server
      .output()
      .slice(outputBefore)
      .split("\n")
      .filter((line) => line.includes("held long by one connection"))
      .map((line) => JSON.parse(line) as { work: string; held_ms: number; statement: string })
      .sort((a, b) => b.held_ms - a.held_ms);
    for (const hold of longHolds.slice(0, 8)) {
      process.stderr.write(
        `overload: ${hold.work} hold of ${hold.held_ms} ms: ${hold.statement.replace(/\s+/g, " ").slice(0, 160)}\n`,
      );
    }
    const failed = Object.keys(statuses).filter((k) => serverFailure(k.split(":")[1] ?? ""));
    const where = DATABASE_URL ? "server PostgreSQL" : "embedded";
    const notes = `${where}, scale ${SCALE}; expensive requests ${JSON.stringify(statuses)}`;
    process.stderr.write(`overload: ${notes}\n`);
    const rows: BenchRow[] = PROBES.map((kind) => ({
      workload: `overload (${where}): ${kind} p99 under 4 free keys' heaviest load (${loaded[kind].length} probes)`,
      baseline: `same probe, no load (floor: Node from memory, p99 ${floor.toFixed(1)} ms)`,
      value: p99(loaded[kind]),
      baselineValue: p99(quiet[kind]),
      unit: "ms",
      ratio: p99(loaded[kind]) / p99(quiet[kind]),
      target: "p99 ≤ 250 ms, 0 failures",
      met: p99(loaded[kind]) <= 250 && loaded.failures.filter((f) => f.startsWith(kind)).length === 0,
      notes: `${loaded.failures.filter((f) => f.startsWith(kind)).length} failures; ${(p99(loaded[kind]) / floor).toFixed(1)}× the floor`,
    }));
    // One topology a run: the other's last rows are kept, marked, where they were dropped.
    const other = DATABASE_URL ? "embedded" : "server PostgreSQL";
    const kept = await keptRows(
      "overload",
      (row) =>
        row.workload.startsWith(`overload (${other})`) ||
        (DATABASE_URL !== undefined && row.workload.startsWith("overload: longest hold")),
      `${other} not measured again: ${DATABASE_URL ? "a server database given" : "no RAPFS_BENCH_OVERLOAD_DATABASE_URL"}`,
    );
    if (Number.isNaN(longest)) return [...rows, ...kept];
    rows.push({
      workload: "overload: longest hold of the embedded database by bulk work",
      baseline: `the slice target (${SLICE_TARGET_MS} ms)`,
      value: longest,
      baselineValue: SLICE_TARGET_MS,
      unit: "ms",
      ratio: longest / SLICE_TARGET_MS,
      target: "≤ 100 ms",
      met: longest <= 100 && failed.length === 0,
      notes: `${long} of ${holds} bulk holds over 100 ms (${longHolds.filter((h) => h.work === "bulk").length} logged); server failures: ${failed.length ? failed.join(", ") : "none"}; ${notes}`,
    });
    return [...rows, ...kept];
  } finally {
    await server.stop();
  }
}
