import type { Measured } from "./load";
import type { Timed } from "./offline-rows";
import type { LocalFigures } from "./scale-local";
import type { ServerFigures } from "./scale-servers";
import type { BenchRow } from "./types";

export type ScaleFigures = LocalFigures & { servers: ServerFigures };

const MiB = 2 ** 20;
const corpusRows = (f: LocalFigures) => f.tracks + f.analyses;
const µsPerRow = (ms: number, rows: number) => (ms * 1000) / Math.max(1, rows);
const worst = (all: Measured[], pick: (m: Measured) => number) => Math.max(...all.map(pick));
const total = (all: Measured[]) => all.reduce((n, m) => n + m.rps, 0);

function perRow(
  big: ScaleFigures,
  small: ScaleFigures,
  workload: string,
  figure: (f: ScaleFigures) => { ms: number; rows: number; note?: string; failed?: boolean } | undefined,
  target = 1.5,
): BenchRow[] {
  const [measured, s] = [figure(big), figure(small)];
  if (!measured || !s) return [];
  // A read that failed or ran over the limit wrote no rows: the smaller scale's, grown with the
  // corpus, make its time per row a lower bound.
  const b = measured.failed
    ? {
        ...measured,
        rows: Math.round((s.rows * big.tracks) / small.tracks),
        note: `${measured.note}; rows estimated as scale ${small.scale}'s × the corpus ratio, so the time per row is a lower bound`,
      }
    : measured;
  const value = µsPerRow(b.ms, b.rows);
  const baselineValue = µsPerRow(s.ms, s.rows);
  return [
    {
      workload: `scale ${big.scale}: ${workload}, time per row`,
      baseline: `the same at scale ${small.scale}, same run`,
      value,
      baselineValue,
      unit: "µs/row",
      ratio: value / baselineValue,
      target: `≤ ${target}×`,
      met: value / baselineValue <= target && !b.failed && !s.failed,
      notes:
        `scale ${big.scale}: ${b.ms.toFixed(0)} ms for ${b.rows} rows${b.note ? ` (${b.note})` : ""}; ` +
        `scale ${small.scale}: ${s.ms.toFixed(0)} ms for ${s.rows} rows${s.note ? ` (${s.note})` : ""}`,
    },
  ];
}

function againstViews(f: LocalFigures, t: Timed): string {
  const { baselineMs, views } = f.offline;
  if (baselineMs <= 0)
    return `the views it reads: ${views.join(", ")} (no measured full run to compare with)`;
  return `the full materialization of the views it reads (${views.join(", ")}) took ${baselineMs.toFixed(0)} ms, ${(t.ms / baselineMs).toFixed(2)}× of it`;
}

/** A point-in-time read; one that failed or ran over the limit counts as not met, its time a lower bound. */
const timedRows = (f: LocalFigures, t: Timed) => ({
  ms: t.ms,
  rows: Math.max(1, t.rows),
  note: `${t.status === "ok" ? t.detail : `${t.status}: ${t.detail}`}; ${againstViews(f, t)}`,
  failed: t.status !== "ok",
});

/** The three longest runs of a materialization, by name: where its time went. */
function slowest(runs: LocalFigures["incremental"]["runs"]): string {
  return [...runs]
    .sort((a, b) => b.durationMs - a.durationMs)
    .slice(0, 3)
    .map((r) => `${r.name}@${r.version} ${r.rowsWritten} rows ${r.durationMs.toFixed(0)} ms`)
    .join(", ");
}

function prepared(f: LocalFigures, phase: string) {
  const p = f.prepared.find((x) => x.phase === phase);
  return p && { ms: p.ms, rows: p.rows, note: `measured when the data was prepared, ${p.at}` };
}

function latency(
  big: ScaleFigures,
  small: ScaleFigures,
  what: string,
  pick: (s: ServerFigures) => Measured[],
) {
  const [b, s] = [pick(big.servers), pick(small.servers)];
  const p99 = worst(b, (m) => m.p99);
  const baseP99 = worst(s, (m) => m.p99);
  const [before, after] = big.servers.loadAverage;
  const floor =
    `both scales' processes in the same rounds, side after side; the floor (Node answering the finished response from memory) p99 ${big.servers.floor.p99.toFixed(2)} ms, ` +
    `${big.servers.floor.rps.toFixed(0)} req/s; load average ${before.toFixed(1)} before, ${after.toFixed(1)} after`;
  const figures = (all: Measured[]) =>
    all
      .map(
        (m) =>
          `p50 ${m.p50.toFixed(2)} / p99 ${m.p99.toFixed(2)} ms, ${m.rps.toFixed(0)} req/s, ${m.failures} failed`,
      )
      .join("; ");
  return [
    {
      workload: `scale ${big.scale}: ${what} p99 (worst of ${b.length} processes)`,
      baseline: `the same at scale ${small.scale}`,
      value: p99,
      baselineValue: baseP99,
      unit: "ms",
      ratio: p99 / baseP99,
      target: "≤ 1.2×",
      met: p99 / baseP99 <= 1.2,
      notes: `random ids over the whole corpus, 10 connections per process; scale ${big.scale}: ${figures(b)}; scale ${small.scale}: ${figures(s)}; ${floor}`,
    },
    {
      workload: `scale ${big.scale}: ${what} throughput (${b.length} processes)`,
      baseline: `the same at scale ${small.scale}`,
      value: total(b),
      baselineValue: total(s),
      unit: "req/s",
      ratio: total(b) / total(s),
      target: "≥ 0.9×",
      met: total(b) / total(s) >= 0.9,
      notes: "each process loaded in turn (alternating rounds), the sum of their medians",
    },
  ] satisfies BenchRow[];
}

function redisRows(big: ScaleFigures, small: ScaleFigures): BenchRow[] {
  return [big, small].map((f) => {
    const used = f.servers.masters.map((m) => m.usedBytes);
    const ratio = Math.max(...used) / Math.min(...used);
    const every = f.servers.missing.length === 0;
    return {
      workload: `scale ${f.scale}: Redis memory per master, max over min`,
      baseline: "the least-loaded master",
      value: Math.max(...used) / MiB,
      baselineValue: Math.min(...used) / MiB,
      unit: "MiB",
      ratio,
      target: "≤ 1.5, every view on every master",
      met: ratio <= 1.5 && every,
      notes:
        `3 masters, used_memory after the servers' sync less before: ${f.servers.masters.map((m) => `${(m.usedBytes / MiB).toFixed(1)} MiB / ${m.keys} keys / ${m.viewsHeld} of ${f.servers.views.length} views`).join("; ")}` +
        (every ? "" : `; views missing on some master: ${f.servers.missing.join(", ")}`),
    };
  });
}

function rssRow(big: ScaleFigures, small: ScaleFigures): BenchRow {
  const b = Math.max(...big.servers.rssBytes);
  const s = Math.max(...small.servers.rssBytes);
  const list = (f: ScaleFigures) => f.servers.rssBytes.map((r) => `${(r / MiB).toFixed(0)} MiB`).join(", ");
  return {
    workload: `scale ${big.scale}: server process RSS after the load (largest of ${big.servers.rssBytes.length})`,
    baseline: `the same at scale ${small.scale}`,
    value: b / MiB,
    baselineValue: s / MiB,
    unit: "MiB",
    ratio: b / s,
    target: "≤ 2×",
    met: b / s <= 2,
    notes: `scale ${big.scale}: ${list(big)} (ready in ${big.servers.readyMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(", ")}); scale ${small.scale}: ${list(small)} (ready in ${small.servers.readyMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(", ")})`,
  };
}

/** The HNSW rows of the larger scale, with the scale targets (p50 ≤ 2× the index scan). */
function searchRows(big: ScaleFigures): BenchRow[] {
  return scaleSearchRows(big.scale, big.search);
}

/** `pnpm bench search`'s recall and p50 rows at `scale`, with the scale targets. */
export function scaleSearchRows(scale: number, search: BenchRow[]): BenchRow[] {
  return search
    .filter((r) => /recall@10|p50 against the index scan/.test(r.workload))
    .map((r) =>
      /p50/.test(r.workload)
        ? { ...r, workload: `scale ${scale}: ${r.workload}`, target: "≤ 2×", met: r.ratio <= 2 }
        : { ...r, workload: `scale ${scale}: ${r.workload}` },
    );
}

function sizeRow(big: ScaleFigures, small: ScaleFigures): BenchRow {
  const b = big.databaseBytes / corpusRows(big);
  const s = small.databaseBytes / corpusRows(small);
  const hnsw = (f: LocalFigures) =>
    Object.entries(f.hnswBytes)
      .map(([name, bytes]) => `${name} ${(bytes / MiB).toFixed(0)} MiB`)
      .join(", ");
  return {
    workload: `scale ${big.scale}: database size per corpus row`,
    baseline: `the same at scale ${small.scale}`,
    value: b,
    baselineValue: s,
    unit: "B/row",
    ratio: b / s,
    target: "(reported)",
    met: true,
    notes: `scale ${big.scale}: ${(big.databaseBytes / MiB).toFixed(0)} MiB (HNSW: ${hnsw(big)}); scale ${small.scale}: ${(small.databaseBytes / MiB).toFixed(0)} MiB (HNSW: ${hnsw(small)}); the server's shared_buffers ${big.sharedBuffers}`,
  };
}

/** The issue's rows: the larger scale against the smaller, measured in the same run. */
export function scaleRows(big: ScaleFigures, small: ScaleFigures): BenchRow[] {
  return [
    ...perRow(big, small, "corpus load (binary COPY)", (f) => prepared(f, "corpus load")),
    ...perRow(big, small, "full materialization of every view (per corpus row)", (f) => ({
      ms: f.full.ms,
      rows: corpusRows(f),
      note: `${f.full.rows} view rows written${f.full.runs.length === 0 ? "; the preparation's first materialization (RAPFS_BENCH_SCALE_FULL_RUN=0)" : ""}`,
    })),
    ...perRow(big, small, "incremental run after 1% new analyses (per changed row)", (f) => ({
      ms: f.incremental.ms,
      rows: f.incremental.changed,
      note: `${f.incremental.rows} view rows written; slowest: ${slowest(f.incremental.runs)}`,
    })),
    ...perRow(big, small, "as_of card of public", (f) => timedRows(f, f.offline.card)),
    ...perRow(big, small, "as_of Parquet download of public", (f) => timedRows(f, f.offline.download)),
    ...perRow(big, small, "100,000-row point-in-time training set, Parquet", (f) =>
      timedRows(f, f.offline.training),
    ),
    ...perRow(big, small, "lyrics HNSW build (per vector)", (f) => prepared(f, "hnsw lyrics@1")),
    ...latency(big, small, "lookup of one track × 50 features", (s) => s.single),
    ...latency(big, small, "batch of 100 tracks × 50 features", (s) => s.batch),
    ...searchRows(big),
    ...redisRows(big, small),
    rssRow(big, small),
    sizeRow(big, small),
  ];
}
