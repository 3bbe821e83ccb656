import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { BenchRow } from "./types";

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

/** Writes the figures under docs/ with the machine they were measured on, for the README to cite. */
export async function writeReport(rows: BenchRow[], docsDir: string): Promise<void> {
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    date: new Date().toISOString(),
  };
  await mkdir(docsDir, { recursive: true });
  await writeFile(join(docsDir, "benchmarks.json"), `${JSON.stringify({ machine, rows }, null, 2)}\n`);
  const notes = rows.filter((r) => r.notes).map((r) => `- **${r.workload}**: ${r.notes}`);
  const markdown = [
    "# Benchmarks",
    "",
    `Measured by \`pnpm bench\` on ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.date}.`,
    "Each workload runs with its baseline in the same run; ratios, not absolute times, are what carry over between machines.",
    "",
    formatTable(rows),
    "",
    ...notes,
    "",
  ].join("\n");
  await writeFile(join(docsDir, "benchmarks.md"), markdown);
}
