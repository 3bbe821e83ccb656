import { formatTimestamp } from "../src/values/timestamps";
import type { BenchRow } from "./types";

/** What the brief's table asks of the point-in-time reads of `public`. */
export const TRAINING_ROWS = 100_000;
const TARGET = 1.5;

export type Outcome = { rows: number; detail: string };
export type Timed = Outcome & { ms: number; status: "ok" | "over limit" | "failed" };
export type Kind = "card" | "download" | "training" | "fixed";
const KINDS: Kind[] = ["card", "download", "training", "fixed"];
/** Epoch microseconds (UTC wall time); `complete`: the first analysis of the analyzer that started last. */
export type TimeRange = { first: number; complete: number; last: number };
export type Measured = {
  scale: number;
  tracks: number;
  analyses: number;
  range: TimeRange;
  asOf: number;
  views: string[];
  baselines: Timed[];
  workloads: Record<Kind, Timed>;
  /** Distinct tracks each training set asks for. */
  distinct: { training: number; fixed: number };
  limitMs: number;
};

const LABELS: Record<Kind, string> = {
  card: "as_of card of public",
  download: "as_of Parquet download of public",
  training: `${TRAINING_ROWS.toLocaleString("en")}-row point-in-time training set of public, Parquet`,
  fixed: `${TRAINING_ROWS.toLocaleString("en")}-row point-in-time training set of public over a fixed sample of tracks, Parquet`,
};

const fastest = (m: Measured) =>
  m.baselines.filter((b) => b.status === "ok").sort((a, b) => a.ms - b.ms)[0] ?? (m.baselines[0] as Timed);
const ok = (t: Timed) => t.status === "ok";
const perRow = (t: Timed) => (t.ms * 1000) / Math.max(1, t.rows);
const atLeast = (t: Timed) => (t.status === "over limit" ? "≥ " : "");
const day = (micros: number) => formatTimestamp(micros).slice(0, 10);

function unfinishedNote(t: Timed, limitMs: number): string {
  if (t.status === "over limit")
    return `over the ${limitMs / 1000} s limit (RAPFS_BENCH_OFFLINE_LIMIT_SECONDS): stopped, so value and ratio are lower bounds`;
  return `failed after ${t.ms.toFixed(0)} ms: ${t.detail}`;
}

function inputNote(m: Measured, kind: Kind): string {
  const instants = `instants uniform over the corpus's created_at range (${day(m.range.first)} to ${day(m.range.last)})`;
  if (kind === "training") {
    return `random (track_id, event_timestamp, label) rows over every track (${m.distinct.training} distinct tracks), ${instants}`;
  }
  if (kind === "fixed") {
    return `random (track_id, event_timestamp, label) rows over a fixed random sample of ${m.distinct.fixed} tracks, the same count at every scale, ${instants}`;
  }
  const middle = day((m.range.first + m.range.last) / 2);
  return (
    `as_of ${formatTimestamp(m.asOf)}: the middle of ${day(m.range.complete)} (first analysis of the analyzer that ` +
    `started last) to ${day(m.range.last)}; the whole created_at range's middle, ${middle}, precedes that analyzer, and public has no rows then`
  );
}

function baselineNote(m: Measured): string {
  const base = fastest(m);
  const runs = m.baselines.map((b) => (ok(b) ? `${b.ms.toFixed(0)} ms` : b.status)).join(" and ");
  return (
    `baseline: full materializeAll restricted to the views public reads (${m.views.join(", ")}), one at a time; ` +
    `${base.rows} rows, ${perRow(base).toFixed(1)} µs/row; ${runs} before and after the workloads, the faster finished one used`
  );
}

function scaleRow(m: Measured, kind: Kind): BenchRow {
  const timed = m.workloads[kind];
  const base = fastest(m);
  const ratio = timed.ms / base.ms;
  const figures = ok(timed)
    ? [`${timed.rows} rows, ${perRow(timed).toFixed(1)} µs/row`, timed.detail]
    : timed.status === "failed"
      ? [unfinishedNote(timed, m.limitMs)]
      : [
          unfinishedNote(timed, m.limitMs),
          `≥ ${perRow(timed).toFixed(1)} µs/row counting ${timed.rows} rows`,
        ];
  return {
    workload: `${LABELS[kind]} (scale ${m.scale})${ok(timed) ? "" : ` — ${timed.status}`}`,
    baseline: `full materialization of the ${m.views.length} views public reads`,
    value: timed.ms,
    baselineValue: base.ms,
    unit: "ms",
    ratio,
    target: `≤ ${TARGET}×`,
    met: ok(timed) && ok(base) && ratio <= TARGET,
    notes: [
      `scale ${m.scale} (${m.tracks} tracks, ${m.analyses} analyses), embedded PGlite`,
      inputNote(m, kind),
      figures.filter(Boolean).join(", "),
      baselineNote(m),
    ].join("; "),
  };
}

/** Time per row at the largest scale ÷ at the smallest: growth beyond linear shows here. */
function growthRow(
  small: Measured,
  large: Measured,
  label: string,
  pick: (m: Measured) => Timed,
  { asked, reported }: { asked?: (m: Measured) => number; reported?: string } = {},
): BenchRow {
  const [a, b] = [pick(small), pick(large)];
  const ratio = perRow(b) / perRow(a);
  const unfinished = [a, b].flatMap((t, i) =>
    ok(t) ? [] : [`${t.status} at scale ${[small, large][i]?.scale}`],
  );
  const over = (m: Measured) => (asked ? ` over ${asked(m)} distinct tracks` : "");
  const figure = (t: Timed, m: Measured) =>
    `${atLeast(t)}${t.ms.toFixed(0)} ms for ${t.rows} rows${over(m)} at scale ${m.scale}`;
  return {
    workload: `${label}: time per row, scale ${large.scale} vs ${small.scale}`,
    baseline: `the same at scale ${small.scale}`,
    value: perRow(b),
    baselineValue: perRow(a),
    unit: "µs/row",
    ratio,
    target: reported ? `reported: ${reported}` : `≤ ${TARGET}×`,
    met: unfinished.length === 0 && (reported !== undefined || ratio <= TARGET),
    notes: [
      figure(b, large),
      figure(a, small),
      ...(unfinished.length > 0 ? [`${unfinished.join(", ")}: the ratio is only a bound`] : []),
    ].join("; "),
  };
}

/**
 * A training set over every track asks for more of them as the corpus grows (each is its own
 * history to read), so its time per row follows the tracks asked for: its growth per distinct
 * track carries the target, and the fixed sample's per row shows the corpus's size alone.
 */
function perTrackRow(small: Measured, large: Measured): BenchRow {
  const perTrack = (m: Measured) => (m.workloads.training.ms * 1000) / Math.max(1, m.distinct.training);
  const [a, b] = [perTrack(small), perTrack(large)];
  const finished = ok(small.workloads.training) && ok(large.workloads.training);
  const figure = (m: Measured) =>
    `${m.workloads.training.ms.toFixed(0)} ms for ${m.distinct.training} distinct tracks at scale ${m.scale}`;
  return {
    workload: `${LABELS.training}: time per distinct track asked for, scale ${large.scale} vs ${small.scale}`,
    baseline: `the same at scale ${small.scale}`,
    value: b,
    baselineValue: a,
    unit: "µs/track",
    ratio: b / a,
    target: `≤ ${TARGET}×`,
    met: finished && b / a <= TARGET,
    notes: [figure(large), figure(small)].join("; "),
  };
}

function growthRows(results: Measured[]): BenchRow[] {
  if (results.length < 2) return [];
  const small = results[0] as Measured;
  const large = results.at(-1) as Measured;
  const tracksGrew = (large.distinct.training / small.distinct.training).toFixed(1);
  const options = (kind: Kind) => {
    if (kind === "fixed") return { asked: (m: Measured) => m.distinct.fixed };
    if (kind !== "training") return {};
    return {
      asked: (m: Measured) => m.distinct.training,
      reported: `${tracksGrew}× the distinct tracks asked for (the rows below hold them fixed, or count per track)`,
    };
  };
  return [
    ...KINDS.map((kind) => growthRow(small, large, LABELS[kind], (m) => m.workloads[kind], options(kind))),
    perTrackRow(small, large),
    growthRow(small, large, "baseline: full materialization of public's views", fastest),
  ];
}

/** Per scale each workload against its baseline, then each one's growth in time per row. */
export function offlineRows(results: Measured[]): BenchRow[] {
  return [...results.flatMap((m) => KINDS.map((kind) => scaleRow(m, kind))), ...growthRows(results)];
}
