import { mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../src/config/paths";
import type { BenchRow } from "./types";

type Machine = { cores: number; cpu: string; memoryGiB: number; node: string };
/** One workload's figures from its latest run, and the machine they came from. */
type Measured = { date: string; rows: BenchRow[]; machine?: Machine };
type Report = { machine: Machine; workloads: Record<string, Measured> };

const round = (value: number) => (Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(3)));

export function formatTable(rows: BenchRow[]): string {
  const header = "| workload | value | baseline | baseline value | ratio | target | met |";
  const lines = rows.map(
    (r) =>
      `| ${r.workload} | ${round(r.value)} ${r.unit} | ${r.baseline} | ${round(r.baselineValue)} ${r.unit} | ` +
      `${round(r.ratio)} | ${r.target} | ${r.met ? "yes" : "**no**"} |`,
  );
  return [header, "|---|---|---|---|---|---|---|", ...lines].join("\n");
}

/** The last report's figures; those from before machines were kept per workload get its one machine. */
async function previous(path: string): Promise<Record<string, Measured>> {
  try {
    const report = JSON.parse(await readFile(path, "utf8")) as Partial<Report>;
    const workloads = report.workloads ?? {};
    for (const measured of Object.values(workloads)) measured.machine ??= report.machine;
    return workloads;
  } catch {
    return {};
  }
}

const KEPT = /^kept from the run of \S+ \([^)]*\); /;

/**
 * The rows of `workload`'s last run that `which` picks, for a run that measures only part of it
 * (a topology it has no server for): kept in its report with the date they were measured and why
 * they were not measured again, instead of dropped.
 */
export async function keptRows(
  workload: string,
  which: (row: BenchRow) => boolean,
  why: string,
  docsDir = join(repoRoot, "docs"),
): Promise<BenchRow[]> {
  const last = (await previous(join(docsDir, "benchmarks.json")))[workload];
  if (!last) return [];
  return last.rows.filter(which).map((row) => {
    const measuredAt = KEPT.exec(row.notes ?? "")?.[0] ?? `kept from the run of ${last.date} (${why}); `;
    return { ...row, notes: `${measuredAt}${(row.notes ?? "").replace(KEPT, "")}` };
  });
}

const describe = (m: Machine) => `${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}`;

/**
 * Writes the figures under docs/ with the machine they were measured on, for the README to cite.
 * A run of some workloads replaces only theirs; the others keep the date of their own last run.
 */
export async function writeReport(
  measured: Record<string, BenchRow[]>,
  order: string[],
  docsDir: string,
): Promise<void> {
  const machine: Machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const jsonPath = join(docsDir, "benchmarks.json");
  const workloads = await previous(jsonPath);
  const date = new Date().toISOString();
  for (const [name, rows] of Object.entries(measured)) workloads[name] = { date, rows, machine };
  const names = order.filter((name) => workloads[name]);
  await mkdir(docsDir, { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify({ machine, workloads }, null, 2)}\n`);
  const sections = names.flatMap((name) => {
    const { date: at, rows, machine: on } = workloads[name] as Measured;
    const notes = rows.filter((r) => r.notes).map((r) => `- **${r.workload}**: ${r.notes}`);
    const where = on ? ` on ${describe(on)}` : "";
    return [`## ${name}`, "", `Run ${at}${where}.`, "", formatTable(rows), "", ...notes, ""];
  });
  const markdown = [
    "# Benchmarks",
    "",
    "Measured by `pnpm bench`; each workload names the machine of its last run (this one's cores vary from day to day).",
    "Each workload runs with its baseline in the same run; ratios, not absolute times, are what carry over between machines.",
    "`pnpm bench <workload…>` reruns some of them and keeps the others' last figures.",
    "",
    ...sections,
  ].join("\n");
  const page = join(docsDir, "benchmarks.md");
  await writeFile(page, markdown + (await keptNotes(page)));
}

/** What follows BY_HAND in the page (runs measured by hand, e.g. a first start on a fresh clone): kept as written. */
const BY_HAND = "<!-- measured by hand: pnpm bench keeps what follows -->";
async function keptNotes(page: string): Promise<string> {
  const text = await readFile(page, "utf8").catch(() => "");
  const at = text.indexOf(BY_HAND);
  return at < 0 ? "" : `\n${text.slice(at)}`;
}
