import type { Measured } from "./load";
import type { BenchRow } from "./types";

type Online = {
  setup: string;
  /**
   * rapfs, bare HGETALL, bare GET, rapfs through its Hono app (no lookup lane), and the floor:
   * Node's http answering the finished response from memory
   */
  single: Measured[];
  /** rapfs, bare HGETALL, bare GET and the floor at offered loads of a share of the HGETALL baseline's capacity. */
  singlePaced: { share: number; rate: number; measured: Measured[] }[];
  /** rapfs rows, rapfs columns, bare baseline; at 1 and at 10 connections */
  batch1: Measured[];
  batch10: Measured[];
  /** rapfs columns with 13 of the 50 features through the artist relation, and the plain batch; 1 connection */
  relation1: Measured[];
  /** rapfs, bare baseline; at 1 and at 10 connections */
  search1: Measured[];
  search10: Measured[];
  recall: number;
  /**
   * With RAPFS_BENCH_ONLINE_BEFORE: the commit measured beside this one. `single` then ends with
   * its lane and its app, `batch10` with its rows and its columns.
   */
  before?: { commit: string };
};

const ms = (value: number) => `${value.toFixed(2)} ms`;
const failures = (sides: Measured[]) => {
  const total = sides.reduce((sum, side) => sum + side.failures, 0);
  return total === 0 ? "" : `; ${total} failed or timed-out requests`;
};
const perRound = (real: Measured, bare: Measured) =>
  real.rounds.map((r, i) => (r.rps / (bare.rounds[i]?.rps ?? Number.NaN)).toFixed(2)).join(", ");
const figures = (name: string, m: Measured) =>
  `${name}: ${m.rps.toFixed(0)} req/s, p50 ${ms(m.p50)}, p99 ${ms(m.p99)}, server CPU ${m.cpuUs.toFixed(0)} µs/request`;

function p99Row(
  workload: string,
  baseline: string,
  sides: Measured[],
  limit: number | undefined,
  notes: string,
): BenchRow {
  const [real, bare] = sides as [Measured, Measured];
  return {
    workload,
    baseline,
    value: real.p99,
    baselineValue: bare.p99,
    unit: "ms",
    ratio: real.p99 / bare.p99,
    target: limit === undefined ? "(reported)" : `p99 ≤ ${limit} ms`,
    met: limit === undefined ? true : real.p99 <= limit,
    notes: `${notes}; ${figures("rapfs", real)}; ${figures("baseline", bare)}${failures(sides)}`,
  };
}

/** The bar for a lookup: its p99 within 1.5× of Node answering from memory. */
const FLOOR_LIMIT = 1.5;
const FLOOR =
  "Node's http answering the same request with rapfs's finished response (body and headers) from memory, no work (this machine's floor)";

function floorRow(workload: string, sides: Measured[], limit: number | undefined, notes: string): BenchRow {
  const [real, floor] = sides as [Measured, Measured];
  const row = p99Row(workload, FLOOR, sides, undefined, notes);
  const cpu = real.cpuUs / floor.cpuUs;
  return {
    ...row,
    target: limit === undefined ? "(reported)" : `≤ ${limit}× the floor`,
    met: limit === undefined ? true : row.ratio <= limit,
    notes: `${row.notes}; server CPU per request ${cpu.toFixed(2)}× the floor's`,
  };
}

function throughputRow(
  workload: string,
  baseline: string,
  real: Measured,
  bare: Measured,
  target?: number,
): BenchRow {
  const ratio = real.rps / bare.rps;
  return {
    workload,
    baseline,
    value: real.rps,
    baselineValue: bare.rps,
    unit: "req/s",
    ratio,
    target: target === undefined ? "(reported)" : `≥ ${target}× baseline`,
    met: target === undefined ? true : ratio >= target,
    notes: `per-round ratios ${perRound(real, bare)}; server CPU ${real.cpuUs.toFixed(0)} vs ${bare.cpuUs.toFixed(0)} µs/request`,
  };
}

/** The batch in both forms against the same baseline; the target applies to the columnar one. */
function batchRows(baseline: string, m: Online): BenchRow[] {
  const [rows1, columns1, bare1] = m.batch1 as [Measured, Measured, Measured];
  const [rows10, columns10, bare10] = m.batch10 as [Measured, Measured, Measured];
  const one = `${m.setup}; one client`;
  const ten = `${m.setup}; 10 concurrent clients`;
  return [
    p99Row("100 tracks × 50 features, columns: p99, 1 connection", baseline, [columns1, bare1], 5, one),
    p99Row("100 tracks × 50 features, rows: p99, 1 connection", baseline, [rows1, bare1], undefined, one),
    p99Row(
      "100 tracks × 50 features, columns: p99, 10 connections",
      baseline,
      [columns10, bare10],
      undefined,
      ten,
    ),
    throughputRow(
      "100 tracks × 50 features, columns: throughput, 10 connections",
      baseline,
      columns10,
      bare10,
    ),
    throughputRow("100 tracks × 50 features, rows: throughput, 10 connections", baseline, rows10, bare10),
  ];
}

/** "No worse than before": this commit against the one measured beside it, in the same run. */
function beforeRows(m: Online): BenchRow[] {
  if (!m.before) return [];
  const { commit } = m.before;
  const [real, , , app] = m.single as Measured[];
  const [beforeLane, beforeApp] = (m.single as Measured[]).slice(5);
  const [rows, columns] = m.batch10 as Measured[];
  const [beforeRowsSide, beforeColumns] = (m.batch10 as Measured[]).slice(3);
  const against = (what: string) => `${what} at ${commit}, in the same run`;
  const pairs: [string, Measured, Measured][] = [
    ["1 track × 50 features, lane", real as Measured, beforeLane as Measured],
    ["1 track × 50 features, Hono app", app as Measured, beforeApp as Measured],
    ["100 tracks × 50 features, rows", rows as Measured, beforeRowsSide as Measured],
    ["100 tracks × 50 features, columns", columns as Measured, beforeColumns as Measured],
  ];
  return pairs.flatMap(([workload, now, then]) => [
    // Within the machine's noise between alternating rounds (a few per cent), no worse.
    throughputRow(`${workload}: throughput, 10 connections, vs before`, against(workload), now, then, 0.9),
    {
      ...p99Row(
        `${workload}: p99, 10 connections, vs before`,
        against(workload),
        [now, then],
        undefined,
        m.setup,
      ),
      target: "p99 ≤ 1.1× before",
      met: now.p99 <= then.p99 * 1.1,
    },
  ]);
}

/** The online workloads as the brief's table rows: targets on its terms, the rest reported. */
export function onlineRows(m: Online): BenchRow[] {
  const [real, hash, get, app, floor] = m.single as [Measured, Measured, Measured, Measured, Measured];
  const hgetall = "bare Hono + 1 Redis HGETALL of the same 50 values";
  const hundred = "bare Hono + 100 Redis HGETALLs pipelined";
  const scan = "bare Hono + the exact SQL scan";
  const single = `${m.setup}; 10 connections; a free-tier key (limits raised), request and row quotas spent from leases of Redis units`;
  return [
    throughputRow("1 track × 50 features: throughput, 10 connections", hgetall, real, hash, 0.5),
    throughputRow(
      "1 track × 50 features: throughput, 10 connections",
      "bare Hono + 1 Redis GET of the whole response (stricter)",
      real,
      get,
    ),
    throughputRow(
      "1 track × 50 features through the Hono app, without the lookup lane: throughput, 10 connections",
      hgetall,
      app,
      hash,
    ),
    p99Row("1 track × 50 features: p99, 10 connections", hgetall, [real, hash], 2, single),
    floorRow(
      "1 track × 50 features: p99, 10 connections",
      [real, floor],
      FLOOR_LIMIT,
      `${single}; each connection sends as soon as it is answered, so its p99 is the queue behind the other nine, which follows the server's CPU per request (the paced rows against the floor compare the same offered load)`,
    ),
    p99Row(
      "1 track × 50 features through the Hono app, without the lookup lane: p99, 10 connections",
      hgetall,
      [app, hash],
      undefined,
      single,
    ),
    ...m.singlePaced.map(({ share, rate, measured }) => {
      const [pacedReal, pacedHash, pacedGet] = measured as [Measured, Measured, Measured, Measured];
      const notes =
        `${m.setup}; 10 connections paced at ${rate} req/s in all (${share * 100}% of the HGETALL ` +
        "baseline's capacity above); a request due while its connection still waits is timed from when it was due " +
        "(no coordinated omission); " +
        `bare GET of the whole response: p50 ${pacedGet.p50.toFixed(2)} ms, p99 ${pacedGet.p99.toFixed(2)} ms`;
      return p99Row(
        `1 track × 50 features: p99, 10 connections paced at ${share * 100}% of the baseline's capacity`,
        hgetall,
        [pacedReal, pacedHash],
        undefined,
        notes,
      );
    }),
    ...m.singlePaced.map(({ share, rate, measured }) => {
      const [pacedReal, , , pacedFloor] = measured as [Measured, Measured, Measured, Measured];
      return floorRow(
        `1 track × 50 features: p99, 10 connections paced at ${share * 100}% of the baseline's capacity, against the floor`,
        [pacedReal, pacedFloor],
        undefined,
        `${m.setup}; rapfs and the floor each offered ${rate} req/s in all over 10 connections, timed from when each request was due`,
      );
    }),
    ...batchRows(hundred, m),
    p99Row(
      "100 tracks × 50 features, 13 of them the artist's through the relation, columns: p99, 1 connection",
      "the same request with 50 of the track's own features (one online round trip instead of two)",
      m.relation1,
      undefined,
      `${m.setup}; one client`,
    ),
    p99Row("top-10 lyrics search: p99, 1 connection", scan, m.search1, 10, `${m.setup}; one client`),
    p99Row(
      "top-10 lyrics search: p99, 10 connections",
      scan,
      m.search10,
      undefined,
      `${m.setup}; 10 concurrent clients`,
    ),
    {
      workload: "top-10 lyrics search: recall@10",
      baseline: "exact SQL scan",
      value: m.recall,
      baselineValue: 1,
      unit: "recall",
      ratio: m.recall,
      target: "= 1.0 (exact)",
      met: m.recall === 1,
      notes: "50 queries near stored vectors, each compared with the exact SQL scan's top 10",
    },
    ...beforeRows(m),
  ];
}
