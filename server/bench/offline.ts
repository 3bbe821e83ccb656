import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { corpusPlan } from "../src/corpus/index";
import { computeCard, type DatasetCard } from "../src/datasets/cards/card";
import { exportRows } from "../src/datasets/delivery/export";
import {
  type DatasetPlan,
  planDownload,
  planTraining,
  standalonePlanSource,
} from "../src/datasets/plan/dataset-plan";
import { settleAsOf, type TrainingInput } from "../src/datasets/snapshot/snapshot";
import { trainingInput } from "../src/datasets/upload/upload";
import type { UploadTable } from "../src/datasets/upload/upload-formats";
import type { Sql } from "../src/db/database";
import type { EmbeddedPostgres } from "../src/db/embedded";
import { materializeAll } from "../src/materialize/runner";
import { benchDatabase } from "./datasets-data";
import {
  type Measured,
  type Outcome,
  offlineRows,
  type Timed,
  type TimeRange,
  TRAINING_ROWS,
} from "./offline-rows";
import type { BenchRow } from "./types";

// Each scale's corpus is generated once (minutes at scale 4) into .rapfs-bench/offline-scale-N.
const SCALES = (process.env.RAPFS_BENCH_OFFLINE_SCALES ?? "0.25,1,4").split(",").map(Number);
/**
 * The tracks the second training set draws from at every scale (no more than the smallest
 * scale's): its growth in time per row is the corpus's size alone, the entities asked for fixed.
 */
const FIXED_TRACKS = Number(process.env.RAPFS_BENCH_OFFLINE_FIXED_TRACKS ?? 10_000);
const LIMIT_MS = Number(process.env.RAPFS_BENCH_OFFLINE_LIMIT_SECONDS ?? 900) * 1000;
/** How long an aborted workload gets to stop on its own (between two slices) and drop its work tables. */
const STOP_GRACE_MS = 30_000;
// The embedded server's reads: key-range slices, so no statement holds PGlite's one backend long
// (a server PostgreSQL's reads are whole statements: `sliced` false).
const READ = { sliced: true } as const;
type Read = { sliced: boolean };

/** The card of `plan`'s rows as GET /v1/datasets/{name} computes it: the one call a card costs. */
export function card(
  sql: Sql,
  plan: DatasetPlan,
  signal: AbortSignal,
  read: Read = READ,
): Promise<DatasetCard> {
  return computeCard(sql, plan, { ...read, signal });
}

type Work = (sql: Sql, signal: AbortSignal) => Promise<Outcome>;
type View = { name: string; version: number };

const connect = (embedded: EmbeddedPostgres): Sql =>
  postgres(embedded.url, { max: 1, onnotice: () => {} }) as unknown as Sql;

/**
 * Runs `work` on a connection of its own, stopped after LIMIT_MS: aborted first, so the engine
 * stops between two slices and drops its work tables; failing that (a workload that takes no
 * signal) the connection is dropped, PGlite finishes the statement it is running and rolls back,
 * and the control connection's `select 1` queues behind that, so the next measurement does not
 * pay for the abandoned one. A run that does not finish counts `rowsIfUnfinished` rows, at least
 * as many as it would have had, so its time per row is a lower bound; a failure is reported, not
 * thrown, so the other scales' figures survive it.
 */
async function bounded(embedded: EmbeddedPostgres, control: Sql, work: Work, rowsIfUnfinished: number) {
  const sql = connect(embedded);
  const stop = new AbortController();
  const started = performance.now();
  const run = work(sql, stop.signal).then(
    (outcome): Timed => ({ ...outcome, ms: performance.now() - started, status: "ok" }),
    (error: Error): Timed => {
      if (!stop.signal.aborted) process.stderr.write(`${error.stack ?? error.message}\n`);
      return {
        rows: rowsIfUnfinished,
        detail: error.message,
        ms: performance.now() - started,
        status: "failed",
      };
    },
  );
  try {
    const done = await Promise.race([run, delay(LIMIT_MS)]);
    if (done) return done;
    stop.abort();
    if (!(await Promise.race([run, delay(STOP_GRACE_MS)]))) {
      await sql.end({ timeout: 0 });
      await control`select 1`;
    }
    return { rows: rowsIfUnfinished, detail: "", ms: LIMIT_MS, status: "over limit" } satisfies Timed;
  } finally {
    await sql.end({ timeout: 0 });
  }
}

/** The faster of two finished runs of one workload (the first when neither finished), saying both. */
function fasterOf(first: Timed, second: Timed): Timed {
  const done = [first, second].filter((t) => t.status === "ok").sort((a, b) => a.ms - b.ms);
  const chosen = done[0] ?? first;
  const runs = [first, second].map((t) => (t.status === "ok" ? `${t.ms.toFixed(0)} ms` : t.status));
  return { ...chosen, detail: `${chosen.detail}; runs ${runs.join(" and ")}, the faster finished one used` };
}

/** Resolves to undefined after `ms`, without keeping the process alive. */
const delay = (ms: number) => sleep(ms, undefined, { ref: false });

/**
 * The corpus's created_at range over tracks and analyses, and when the analyzer that started last
 * had its first analysis: before it, a dataset inner-joining that analyzer's view has no rows.
 */
async function timeRange(sql: Sql): Promise<TimeRange> {
  const [row] = await sql<TimeRange[]>`
    with a as (select analyzer_type, min(created_at) as first, max(created_at) as last
               from analysis_results group by analyzer_type),
         t as (select min(created_at) as first, max(created_at) as last from tracks)
    select (extract(epoch from least((select min(first) from a), (select first from t))) * 1000000)::float8 as first,
      (extract(epoch from (select max(first) from a)) * 1000000)::float8 as complete,
      (extract(epoch from greatest((select max(last) from a), (select last from t))) * 1000000)::float8 as last`;
  if (!row) throw new Error("the corpus has no created_at range");
  return row;
}

/** Deterministic uniform numbers in [0, 1) (mulberry32), so runs ask for the same rows. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Random (track, instant, label) rows over the corpus's whole time range, checked as an upload is:
 * their tracks drawn from every track, or from a fixed sample of `tracks` of them.
 */
async function trainingRows(
  sql: Sql,
  plan: DatasetPlan,
  range: TimeRange,
  { tracks }: { tracks?: number } = {},
): Promise<TrainingInput> {
  const all = (await sql<{ id: number }[]>`select id from tracks order by id`).map((r) => r.id);
  const next = random(42);
  const ids = tracks === undefined ? all : sample(all, tracks, random(7));
  const column = (value: () => unknown) => Array.from({ length: TRAINING_ROWS }, value);
  const key = plan.entity.keyColumn;
  const table: UploadTable = {
    columns: [key, "event_timestamp", "label"],
    rows: TRAINING_ROWS,
    values: new Map([
      [key, column(() => ids[Math.floor(next() * ids.length)])],
      ["event_timestamp", column(() => Math.round(range.first + next() * (range.last - range.first)))],
      ["label", column(() => (next() < 0.5 ? 0 : 1))],
    ]),
    types: new Map([
      [key, "int"],
      ["event_timestamp", "timestamp"],
      ["label", "int"],
    ]),
  };
  return trainingInput(table, plan.entity, TRAINING_ROWS);
}

/** `n` of `values` drawn without replacement (a partial Fisher–Yates shuffle of a copy). */
function sample<T>(values: T[], n: number, next: () => number): T[] {
  const copy = [...values];
  const size = Math.min(n, copy.length);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(next() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, size);
}

/** How many distinct entities a training input asks for. */
export function distinctEntities(input: TrainingInput): number {
  return new Set(input.ids).size;
}

/** A Parquet export of `plan` into a sink that drops the bytes and counts them. */
export async function parquet(
  sql: Sql,
  plan: DatasetPlan,
  signal: AbortSignal,
  training?: TrainingInput,
  read: Read = READ,
): Promise<Outcome> {
  let bytes = 0;
  const discard = async (chunk: Uint8Array) => {
    bytes += chunk.byteLength;
  };
  const result = await exportRows(sql, plan, discard, {
    ...read,
    signal,
    format: "parquet",
    ...(training ? { training } : {}),
  });
  return { rows: result.rows, detail: `${(bytes / 2 ** 20).toFixed(1)} MiB of Parquet` };
}

/** The feature views a plan reads (its own and its related entities'), each once. */
export function viewsOf(plan: DatasetPlan): View[] {
  const views = plan.sources.flatMap((s) =>
    s.kind === "view" ? [{ name: s.name, version: s.version }] : [],
  );
  return views.filter((v, i) => views.findIndex((w) => w.name === v.name && w.version === v.version) === i);
}

/** Full materialization of those views only, one after the other, as the embedded runner goes. */
function materializeViews(views: View[]): Work {
  return async (sql) => {
    let rows = 0;
    for (const only of views) {
      for (const run of await materializeAll(sql, { full: true, only })) rows += run.rowCount;
    }
    return { rows, detail: "" };
  };
}

/** What every workload of a scale reads: the plans, the training rows, the as_of instant. */
export async function prepare(control: Sql, read: Read = READ) {
  const source = standalonePlanSource(control);
  const range = await timeRange(control);
  const asOf = Math.round((range.complete + range.last) / 2);
  const download = await planDownload(source, await settleAsOf(control, { dataset: "public", asOf }));
  const training = await planTraining(source, { entity: "track", dataset: "public" });
  const rows = await trainingRows(control, training, range);
  const fixedRows = await trainingRows(control, training, range, { tracks: FIXED_TRACKS });
  // Warm-up: the Parquet encoder's WebAssembly and the database's caches, outside any timing.
  const preview = await planDownload(source, { dataset: "public", limit: 1_000 });
  await parquet(control, preview, AbortSignal.timeout(LIMIT_MS), undefined, read);
  return { range, asOf, download, training, rows, fixedRows, views: viewsOf(download) };
}

async function measureScale(scale: number): Promise<Measured> {
  const embedded = await benchDatabase(scale, "offline");
  const control = connect(embedded);
  try {
    const { range, asOf, download, training, rows, fixedRows, views } = await prepare(control);
    const { tracks, analyses } = corpusPlan(scale);
    const measure = async (name: string, work: Work, rowsIfUnfinished = tracks) => {
      process.stderr.write(`offline bench: scale ${scale}: ${name}\n`);
      const timed = await bounded(embedded, control, work, rowsIfUnfinished);
      const result = timed.status === "ok" ? `${timed.ms.toFixed(0)} ms, ${timed.rows} rows` : timed.status;
      process.stderr.write(`offline bench: scale ${scale}: ${name}: ${result}\n`);
      return timed;
    };
    const baseline = materializeViews(views);
    const before = await measure("baseline", baseline);
    const described = await measure("as_of card", async (sql, signal) => {
      const computed = await card(sql, download, signal);
      return { rows: computed.rows, detail: `${computed.columns.length} columns` };
    });
    const file = await measure("as_of download", (sql, signal) => parquet(sql, download, signal));
    const trainingSet = (sql: Sql, signal: AbortSignal) => parquet(sql, training, signal, rows);
    const set = await measure("training set", trainingSet, TRAINING_ROWS);
    // The baseline again after the workloads: the faster of the two is used, so a machine that
    // slowed down midway does not flatter the ratio.
    const after = await measure("baseline again", baseline);
    // The training set varies more between runs than the rest (7.4–8.8 s at scale 0.25 in one
    // hour): it runs twice too, once on each side of the second baseline, and the faster is used.
    const again = await measure("training set again", trainingSet, TRAINING_ROWS);
    const fixedSet = (sql: Sql, signal: AbortSignal) => parquet(sql, training, signal, fixedRows);
    const fixed = [
      await measure(`training set over ${FIXED_TRACKS} tracks`, fixedSet, TRAINING_ROWS),
      await measure(`training set over ${FIXED_TRACKS} tracks again`, fixedSet, TRAINING_ROWS),
    ] as const;
    return {
      scale,
      tracks,
      analyses,
      range,
      asOf,
      views: views.map((v) => `${v.name}@${v.version}`),
      baselines: [before, after],
      workloads: {
        card: described,
        download: file,
        training: fasterOf(set, again),
        fixed: fasterOf(...fixed),
      },
      distinct: { training: distinctEntities(rows), fixed: distinctEntities(fixedRows) },
      limitMs: LIMIT_MS,
    };
  } finally {
    await control.end({ timeout: 5 });
    await embedded.stop();
  }
}

/**
 * The point-in-time reads of the `public` dataset (an as_of card, an as_of Parquet download, a
 * 100,000-row training set) against a full materialization of the views they read, at several
 * corpus scales in one process, and how their time per row grows with the corpus.
 */
export async function benchOffline(): Promise<BenchRow[]> {
  const results: Measured[] = [];
  for (const scale of SCALES) results.push(await measureScale(scale));
  return offlineRows(results);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { formatTable } = await import("./report");
  const rows = await benchOffline();
  process.stdout.write(`${formatTable(rows)}\n`);
  for (const r of rows) if (r.notes) process.stdout.write(`- ${r.workload}: ${r.notes}\n`);
}
