#!/usr/bin/env node
// The machine's speed at this moment, as the test suite spends it: a fixed piece of the work most
// of its CPU goes to (PGlite starting from nothing, then PostgreSQL grouping and sorting in
// WebAssembly, then plain JavaScript), timed alone. The same 2-core machine ran this suite in
// 10 to 31 minutes on different days; `.ci/run` prints this beside its own time so that a run's
// minutes can be read against the machine it had.
import { createRequire } from "node:module";

const require = createRequire(new URL("../../package.json", import.meta.url));
const { PGlite } = await import(require.resolve("@electric-sql/pglite"));

const started = performance.now();
const cpuStarted = process.cpuUsage();
const db = await PGlite.create();
await db.query(`
  select count(distinct md5(g::text)), sum(length(repeat(g::text, 3)))
  from generate_series(1, 100000) g`);
await db.close();
const words = Array.from({ length: 200_000 }, (_, i) => ({ id: i, name: `track ${i}`, score: i / 7 }));
let total = 0;
for (let round = 0; round < 5; round++) total += JSON.parse(JSON.stringify(words)).length;
if (total !== 1_000_000) throw new Error("the reference work did not run whole");
const cpu = process.cpuUsage(cpuStarted);
const seconds = (ms) => (ms / 1000).toFixed(1);
console.log(
  `machine reference: ${seconds(performance.now() - started)} s (${seconds((cpu.user + cpu.system) / 1000)} s of CPU)`,
);
