import { join } from "node:path";
import { repoRoot } from "../src/config/paths";
import { formatTable, writeReport } from "./report";
import type { BenchRow } from "./types";

type Workload = { name: string; load: () => Promise<() => Promise<BenchRow[]>> };

/** Every workload of the brief's table; each module measures its own baseline in the same run. */
const workloads: Workload[] = [
  { name: "materialize", load: async () => (await import("./materialize")).benchMaterialize },
  { name: "online", load: async () => (await import("./online")).benchOnline },
  { name: "search", load: async () => (await import("./search")).benchSearch },
  { name: "access", load: async () => (await import("./access")).benchAccess },
  { name: "datasets", load: async () => (await import("./datasets")).benchDatasets },
  { name: "encode", load: async () => (await import("./encode")).benchEncode },
  { name: "offline", load: async () => (await import("./offline")).benchOffline },
  { name: "sdk", load: async () => (await import("./sdk")).benchSdk },
  { name: "start", load: async () => (await import("./start")).benchStart },
  { name: "overload", load: async () => (await import("./overload")).benchOverload },
  { name: "freshness", load: async () => (await import("./freshness")).benchFreshness },
  { name: "freshness-servers", load: async () => (await import("./freshness")).benchFreshnessServers },
  { name: "scale", load: async () => (await import("./scale")).benchScale },
  { name: "scale-search", load: async () => (await import("./scale")).benchScaleSearch },
  { name: "freshness-keyed", load: async () => (await import("./freshness-keyed")).benchFreshnessKeyed },
  { name: "scale-freshness", load: async () => (await import("./scale-freshness")).benchScaleFreshness },
  { name: "hostile", load: async () => (await import("./hostile")).benchHostile },
  { name: "near-cache", load: async () => (await import("./near-cache")).benchNearCache },
];

const only = process.argv.slice(2);
const unknown = only.filter((name) => !workloads.some((w) => w.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown workload ${unknown.join(", ")}; one of ${workloads.map((w) => w.name).join(", ")}\n`,
  );
  process.exit(2);
}
const measured: Record<string, BenchRow[]> = {};
for (const workload of workloads) {
  if (only.length > 0 && !only.includes(workload.name)) continue;
  process.stderr.write(`bench: ${workload.name}\n`);
  const run = await workload.load();
  const rows = await run();
  // A workload that could not run here (no server to run on) keeps its last figures.
  if (rows.length > 0) measured[workload.name] = rows;
}
process.stdout.write(`${formatTable(Object.values(measured).flat())}\n`);
await writeReport(
  measured,
  workloads.map((w) => w.name),
  join(repoRoot, "docs"),
);
