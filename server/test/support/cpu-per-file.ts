import { appendFileSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, expect } from "vitest";

/**
 * With RAPFS_TEST_CPU_PROFILE=<file> (vitest.config.ts): each test file's CPU seconds, its own
 * process's and those of the children it started and waited for, then its seconds of wall time
 * and its path, one tab-separated line per file appended to <file>. `sort -rn <file>` shows where
 * the suite's CPU goes: on two cores its time is CPU, not waiting.
 */
const profile = process.env.RAPFS_TEST_CPU_PROFILE as string;

/** utime + stime + cutime + cstime of this process, in seconds (/proc/self/stat, 100 ticks a second). */
function cpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / 100;
}

let cpuAtStart = 0;
let startedAt = 0;
beforeAll(() => {
  cpuAtStart = cpuSeconds();
  startedAt = performance.now();
});
afterAll(() => {
  const wall = (performance.now() - startedAt) / 1000;
  const line = [(cpuSeconds() - cpuAtStart).toFixed(1), wall.toFixed(1), expect.getState().testPath];
  appendFileSync(profile, `${line.join("\t")}\n`);
});
