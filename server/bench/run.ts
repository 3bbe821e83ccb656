import { join } from "node:path";
import { repoRoot } from "../src/config/paths";
import { formatTable, writeReport } from "./report";
import type { BenchRow } from "./types";

type Workload = { name: string; load: () => Promise<() => Promise<BenchRow[]>> };

/** Every workload of the brief's table; each module measures its own baseline in the same run. */
const workloads: Workload[] = [
  { name: "materialize", load: async () => (await import("./materialize")).benchMaterialize },
  { name: "online", load: async () => (await import("./online")).benchOnline },
  { name: "access", load: async () => (await import("./access")).benchAccess },
  { name: "datasets", load: async () => (await import("./datasets")).benchDatasets },
  { name: "sdk", load: async () => (await import("./sdk")).benchSdk },
];

const only = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const workload of workloads) {
  if (only.length > 0 && !only.includes(workload.name)) continue;
  process.stderr.write(`bench: ${workload.name}\n`);
  const run = await workload.load();
  rows.push(...(await run()));
}
process.stdout.write(`${formatTable(rows)}\n`);
if (only.length === 0) await writeReport(rows, join(repoRoot, "docs"));
