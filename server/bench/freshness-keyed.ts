import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { corpusPlan } from "../src/corpus/index";
import type { Sql } from "../src/db/database";
import { materializeTarget, type RunResult } from "../src/materialize/runner";
import { keyedCostPerTrack as keyedLimit } from "../src/materialize/source-changes";
import { listTargets } from "../src/materialize/target";
import { benchDatabase } from "./datasets-data";
import type { BenchRow } from "./types";

const SCALE = Number(process.env.RAPFS_BENCH_FRESHNESS_SCALE ?? 1);
const EMOTION = "emotion-distilroberta";
// Shares of the tracks whose analyses one statement back-dates, to find where a keyed run stops paying.
const SHARES = [0.01, 0.05, 0.1];

type Chosen = { analysis: number; track: number };
type Change = { label: string; write: (sql: Sql, pick: Chosen) => Promise<unknown> };
const REPEATS = Number(process.env.RAPFS_BENCH_KEYED_REPEATS ?? 5);

/**
 * `pnpm bench freshness-keyed`: one back-dated, updated or deleted analysis, and one deleted
 * track, re-materialized by key against the same view's full run in the same process (the
 * embedded database at scale 1, generated once into .rapfs-bench and reused; or, with
 * RAPFS_BENCH_FRESHNESS_DATABASE_URL, a server database holding the corpus at
 * RAPFS_BENCH_FRESHNESS_SCALE, whose rows it changes: give it a copy): emotion_scores@1 (a track view) and artist_stats@1 (an
 * artist view over per-track inputs). Then statements back-dating 1%, 5% and 10% of the tracks'
 * emotion analyses: what a keyed run costs per track against a full run's, the measure behind
 * KEYED_COST_PER_TRACK (source-changes.ts), the embedded database's or a server's (keyedCostPerTrack).
 */
export async function benchFreshnessKeyed(): Promise<BenchRow[]> {
  const server = process.env.RAPFS_BENCH_FRESHNESS_DATABASE_URL;
  if (server) return onDatabase(server, "server PostgreSQL");
  // The corpus loads in one transaction whose chunks, on a loaded machine, come more than the
  // embedded default's 60 s apart.
  const embedded = await benchDatabase(SCALE, "freshness-keyed", { idleInTransactionMs: 3_600_000 });
  try {
    return await onDatabase(embedded.url, "embedded PGlite");
  } finally {
    await embedded.stop();
  }
}

/** On a database that already holds the corpus at SCALE with the views built (its rows are changed). */
async function onDatabase(url: string, where: string): Promise<BenchRow[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} }) as unknown as Sql;
  try {
    return await measure(sql, where);
  } finally {
    await sql.end();
  }
}

async function measure(sql: Sql, where: string): Promise<BenchRow[]> {
  const run = async (view: string, full = false) => {
    const [name, version] = view.split("@") as [string, string];
    const [target] = await listTargets(sql, { name, version: Number(version) });
    if (!target) throw new Error(`${view} is not applied`);
    const started = performance.now();
    const result = await materializeTarget(sql, target, { full });
    return { result, ms: performance.now() - started };
  };
  const views = ["emotion_scores@1", "artist_stats@1"];
  for (const view of views) await run(view, true); // built, and caches warm
  const fullMs = new Map<string, number>();
  for (const view of views) fullMs.set(view, (await run(view, true)).ms);

  // Each change is made REPEATS times on other tracks and its runs' median reported: a single run
  // of tens of milliseconds is mostly the machine's noise on a loaded machine. One keyed round
  // first, not reported, as the full runs are measured warm: the run's statements prepared on
  // the connection, the views' caches read.
  const analysisOf = async (i: number) => {
    const [one] = await sql<{ analysis: number }[]>`
      select max(id)::int as analysis from analysis_results
      where analyzer_type = ${EMOTION} group by track_id order by track_id limit 1 offset ${100 + 7 * i}`;
    if (!one) throw new Error("the corpus has too few tracks");
    return one.analysis;
  };
  const trackOf = async (i: number) => {
    const [gone] = await sql<{ track: number }[]>`
      select id as track from tracks where artist is not null order by id limit 1 offset ${200 + 7 * i}`;
    if (!gone) throw new Error("the corpus has too few tracks");
    return gone.track;
  };
  const changes: Change[] = [
    {
      label: "one back-dated analysis inserted",
      write: (s, { analysis }) => s`
        insert into analysis_results (track_id, analyzer_type, sentiment, confidence, analysis_data, created_at, model_version)
        select track_id, analyzer_type, sentiment, confidence, analysis_data, '2020-01-01', 'late'
        from analysis_results where id = ${analysis}`,
    },
    {
      label: "one analysis updated",
      write: (s, { analysis }) => s`update analysis_results set confidence = 0.5 where id = ${analysis}`,
    },
    {
      label: "one analysis deleted",
      write: (s, { analysis }) => s`delete from analysis_results where id = ${analysis}`,
    },
    {
      label: "one track deleted",
      write: async (s, { track }) => {
        await s.begin(async (tx) => {
          await tx`delete from analysis_results where track_id = ${track}`;
          await tx`delete from tracks where id = ${track}`;
        });
      },
    },
  ];
  const pick = async (i: number): Promise<Chosen> => ({
    analysis: await analysisOf(i),
    track: await trackOf(i),
  });
  await (changes[0] as Change).write(sql, await pick(REPEATS));
  for (const view of views) await run(view);
  const samples = new Map<string, { ms: number; result: RunResult }[]>();
  for (let i = 0; i < REPEATS; i++) {
    // The same analysis back-dated, then updated, then deleted (its back-dated copy remains).
    const picked = await pick(i);
    for (const change of changes) {
      await change.write(sql, picked);
      for (const view of views) {
        const key = `${change.label}\n${view}`;
        samples.set(key, [...(samples.get(key) ?? []), await run(view)]);
      }
    }
  }
  const rows: BenchRow[] = [];
  const plan = corpusPlan(SCALE);
  const scaleNote = `scale ${SCALE} (${plan.tracks} tracks), ${where}`;
  for (const change of changes) {
    for (const view of views) {
      const runs = samples.get(`${change.label}\n${view}`) ?? [];
      const sorted = runs.map((r) => r.ms).sort((x, y) => x - y);
      const ms = sorted[Math.floor(sorted.length / 2)] as number;
      const full = fullMs.get(view) as number;
      const median = runs.find((r) => r.ms === ms) as { result: RunResult };
      rows.push({
        workload: `freshness: ${change.label}, re-materialized (${view})`,
        baseline: `the view's full run, same process`,
        value: ms,
        baselineValue: full,
        unit: "ms",
        ratio: ms / full,
        target: "≤ 0.01× (only the keys it touches)",
        met: runs.every((r) => r.result.mode === "incremental") && ms / full <= 0.01,
        notes:
          `${scaleNote}; median of ${runs.length} on other tracks (${sorted.map((x) => x.toFixed(1)).join(", ")} ms), ` +
          `load average ${loadavg()[0]?.toFixed(1)}; ${described(median.result)}`,
      });
    }
  }
  const limit = keyedLimit(where !== "embedded PGlite");
  rows.push(await keyedCostPerTrack(sql, run, plan.tracks, fullMs.get("emotion_scores@1") as number, limit));
  return rows;
}

const described = (r: RunResult) =>
  `${r.mode} run, ${r.rowsWritten} rows written, ${r.removedKeys?.length ?? 0} removed`;

/**
 * Statements back-dating the emotion analyses of a share of the tracks: each keyed run's time per
 * track against the full run's time per track (the full run measured again beside them).
 */
async function keyedCostPerTrack(
  sql: Sql,
  run: (view: string, full?: boolean) => Promise<{ result: RunResult; ms: number }>,
  tracks: number,
  fullBefore: number,
  limit: number,
): Promise<BenchRow> {
  const view = "emotion_scores@1";
  const costs: string[] = [];
  const perTrack: number[] = [];
  let fullMs = fullBefore;
  for (const share of SHARES) {
    const count = Math.round(tracks * share);
    await sql`
      update analysis_results set created_at = created_at - interval '1 second'
      where analyzer_type = ${EMOTION} and track_id in (
        select id from tracks order by md5(id::text) limit ${count})`;
    const { result, ms } = await run(view);
    fullMs = (await run(view, true)).ms;
    const cost = ms / count / (fullMs / tracks);
    perTrack.push(cost);
    costs.push(
      `${share * 100}%: ${result.mode} ${Math.round(ms)} ms against full ${Math.round(fullMs)} ms (${cost.toFixed(1)}×)`,
    );
  }
  const median = [...perTrack].sort((a, b) => a - b)[Math.floor(perTrack.length / 2)] as number;
  return {
    workload: `freshness: a keyed run's time per track (${view}, statements back-dating ${SHARES.map((s) => `${s * 100}%`).join(", ")} of the tracks)`,
    baseline: "the full run's time per track, same process",
    value: median,
    baselineValue: 1,
    unit: "×",
    ratio: median,
    target: `≤ ${limit}× (KEYED_COST_PER_TRACK on this database: a run reaching more than 1/${limit} of the tracks rebuilds)`,
    met: median <= limit,
    notes: costs.join("; "),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { formatTable } = await import("./report");
  const rows = await benchFreshnessKeyed();
  process.stdout.write(
    `${formatTable(rows)}\n${rows.map((r) => `- ${r.workload}: ${r.notes}`).join("\n")}\n`,
  );
}
