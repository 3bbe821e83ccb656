import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Redis } from "ioredis";
import { repoRoot } from "../src/config/paths";
import { unlinkMatching } from "../src/online/redis-client";

/**
 * A benchmark's server: `tsx <entry>` in its own process, ready once it prints one JSON line.
 * With RAPFS_BENCH_CPU_PROF_DIR set, it writes a V8 CPU profile there when it stops (Node
 * refuses `--cpu-prof` in NODE_OPTIONS).
 */
export async function startBenchServer<T>(
  entry: string,
  env: NodeJS.ProcessEnv,
  cwd = repoRoot,
): Promise<{ child: ChildProcess; ready: T }> {
  const profiles = process.env.RAPFS_BENCH_CPU_PROF_DIR;
  const profile = profiles ? ["--cpu-prof", `--cpu-prof-dir=${profiles}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", entry], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`benchmark server ${entry} exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", resolve);
  });
  return { child, ready: JSON.parse(line) as T };
}

export async function stopBenchServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** Leaves the shared Redis as the run found it: every key under the run's prefix goes. */
export async function deleteRunKeys(redis: Redis, prefix: string): Promise<void> {
  await unlinkMatching(redis, `${prefix}:*`);
}
