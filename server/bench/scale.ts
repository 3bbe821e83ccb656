import { fileURLToPath } from "node:url";
import { databaseName, databaseUrl, missingPgvector, prepareScale } from "./scale-data";
import { measureLocal } from "./scale-local";
import { type ScaleFigures, scaleRows } from "./scale-rows";
import { measureServers } from "./scale-servers";
import type { BenchRow } from "./types";

// The issue's pair; RAPFS_BENCH_SCALE_SCALES=0.1,1 checks the harness in minutes.
const SCALES = (process.env.RAPFS_BENCH_SCALE_SCALES ?? "1,10").split(",").map(Number);

async function measureScale(scale: number): Promise<ScaleFigures> {
  const started = performance.now();
  const { db, phases } = await prepareScale(scale);
  try {
    const local = await measureLocal(db, scale, phases);
    process.stderr.write(`scale bench: scale ${scale}: server processes on ${databaseName(scale)}\n`);
    const servers = await measureServers(db.sql, databaseUrl(scale), scale, local.tracks);
    process.stderr.write(
      `scale bench: scale ${scale} measured in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
    );
    return { ...local, servers };
  } finally {
    await db.close();
  }
}

/**
 * `pnpm bench scale`: the corpus at two scales (1 and 10) on server PostgreSQL with pgvector and a
 * 3-master Redis Cluster, each scale's data generated once into a database of its own and kept;
 * the larger scale's times per row, latencies, memory and search against the smaller's.
 */
export async function benchScale(): Promise<BenchRow[]> {
  const missing = await missingPgvector();
  if (missing) {
    process.stderr.write(
      `scale: ${missing}; skipped. Build pgvector for that server (or set RAPFS_BENCH_SCALE_POSTGRES_URL to one that has it)\n`,
    );
    return [];
  }
  const [small, big] = [...SCALES].sort((a, b) => a - b);
  if (small === undefined || big === undefined || small === big) {
    throw new Error(`RAPFS_BENCH_SCALE_SCALES names two scales, got ${SCALES.join(",")}`);
  }
  const smaller = await measureScale(small);
  const larger = await measureScale(big);
  return scaleRows(larger, smaller);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { formatTable } = await import("./report");
  const rows = await benchScale();
  process.stdout.write(
    `${formatTable(rows)}\n${rows.map((r) => `- ${r.workload}: ${r.notes}`).join("\n")}\n`,
  );
}
