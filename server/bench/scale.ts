import { fileURLToPath } from "node:url";
import type { Database } from "../src/db/database";
import { databaseName, databaseUrl, missingPgvector, prepareScale } from "./scale-data";
import { type LocalFigures, measureLocal } from "./scale-local";
import { type ScaleFigures, scaleRows, scaleSearchRows } from "./scale-rows";
import { type Fleet, fleetMemory, measureLoad, startFleet, stopFleet } from "./scale-servers";
import { measureSearch } from "./search";
import type { BenchRow } from "./types";

// The issue's pair; RAPFS_BENCH_SCALE_SCALES=0.1,1 checks the harness in minutes.
const SCALES = (process.env.RAPFS_BENCH_SCALE_SCALES ?? "1,10").split(",").map(Number);

type Prepared = { scale: number; db: Database; local: LocalFigures };

async function measureScale(scale: number): Promise<Prepared> {
  const { db, phases } = await prepareScale(scale);
  try {
    return { scale, db, local: await measureLocal(db, scale, phases) };
  } catch (error) {
    await db.close();
    throw error;
  }
}

/**
 * Both scales' server processes up at once, each on its own Cluster, their lookups alternated in
 * the same rounds: measured one scale after the other, minutes apart, the machine's load moved the
 * floor's p99 from 41 to 117 ms between them.
 */
async function measureFleets(scales: Prepared[]): Promise<ScaleFigures[]> {
  const fleets: Fleet[] = [];
  try {
    for (const { scale, local } of scales) {
      process.stderr.write(`scale bench: scale ${scale}: server processes on ${databaseName(scale)}\n`);
      fleets.push(await startFleet(databaseUrl(scale), scale, local.tracks));
    }
    const load = await measureLoad(fleets);
    const figures: ScaleFigures[] = [];
    for (const [i, { db, local }] of scales.entries()) {
      const memory = await fleetMemory(db.sql, fleets[i] as Fleet);
      const servers = {
        ...memory,
        single: load.single[i] ?? [],
        batch: load.batch[i] ?? [],
        floor: load.floor,
        loadAverage: load.loadAverage,
      };
      figures.push({ ...local, servers });
    }
    return figures;
  } finally {
    for (const fleet of fleets) await stopFleet(fleet);
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
  const prepared: Prepared[] = [];
  try {
    for (const scale of [small, big]) prepared.push(await measureScale(scale));
    const [smaller, larger] = (await measureFleets(prepared)) as [ScaleFigures, ScaleFigures];
    return scaleRows(larger, smaller);
  } finally {
    for (const { db } of prepared) await db.close();
  }
}

/**
 * `pnpm bench scale-search`: the scale bench's HNSW rows alone (recall@10 and p50 against the
 * index scan over 1,000 random ids), on the larger scale's prepared database: minutes, where the
 * whole scale bench takes an hour. Its data is prepared as `pnpm bench scale` prepares it.
 */
export async function benchScaleSearch(): Promise<BenchRow[]> {
  const missing = await missingPgvector();
  if (missing) {
    process.stderr.write(`scale-search: ${missing}; skipped\n`);
    return [];
  }
  const big = Math.max(...SCALES);
  const { db } = await prepareScale(big);
  try {
    return scaleSearchRows(big, await measureSearch(db, big));
  } finally {
    await db.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { formatTable } = await import("./report");
  const rows = await benchScale();
  process.stdout.write(
    `${formatTable(rows)}\n${rows.map((r) => `- ${r.workload}: ${r.notes}`).join("\n")}\n`,
  );
}
