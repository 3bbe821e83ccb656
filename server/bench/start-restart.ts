import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { bundleModule } from "../bin/built-entry.mjs";
import { repoRoot } from "../src/config/paths";
import { startPhases } from "./start-phases";

/** The README's start command, once the install has run: npm is on every machine with Node. */
export const README_START = ["npm", "start"];
/** The same script through pnpm fetched by npx, as the README started the server before. */
export const NPX_PNPM_START = ["npx", "-y", "pnpm@10.34.8", "start"];

export type Started = { ms: number; phases: string };

/**
 * Runs `command` (in a process group of its own, as a terminal does) on the data directory and
 * times it from spawn to the first /ready 200, then stops it as Ctrl-C does: a signal to the group.
 * `phases` says where the time went: the launch (until the server's first log line: npm or npx and pnpm,
 * node loading the CLI), then the phases of its log, and the wait for /ready.
 */
export async function timeToReady(command: string[], dataDir: string): Promise<Started> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const spawnedAt = Date.now();
  const started = performance.now();
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, {
    cwd: repoRoot,
    detached: true,
    env: {
      ...process.env,
      RAPFS_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let buffered = "";
  const collect = (data: Buffer) => {
    buffered += data.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    lines.push(...parts);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`${command.join(" ")} exited (${child.exitCode}):\n${lines.join("\n")}`);
      const ok = await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const ms = performance.now() - started;
    const readyAt = spawnedAt + ms;
    return { ms, phases: describe(lines, spawnedAt, readyAt) };
  } finally {
    await stopGroup(child, dataDir);
  }
}

function describe(lines: string[], spawnedAt: number, readyAt: number): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const first = lines.find((line) => line.startsWith("{"));
  if (!first) return `${s(readyAt - spawnedAt)} from spawn to /ready (no log)`;
  const firstAt = Date.parse((JSON.parse(first) as { time: string }).time);
  const logged = startPhases(lines);
  const lastAt = Math.max(
    firstAt,
    ...lines
      .filter((line) => line.startsWith("{") && line.includes('"msg":"data ready"'))
      .map((line) => Date.parse((JSON.parse(line) as { time: string }).time)),
  );
  return `launch until the first log line ${s(firstAt - spawnedAt)}, ${logged}, then /ready ${s(readyAt - lastAt)}`;
}

async function stopGroup(child: ChildProcess, dataDir: string): Promise<void> {
  if (child.exitCode === null && child.pid !== undefined) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid, "SIGTERM");
    await exited;
  }
  // The server may outlive its launcher, which the signal may end at once: until its lock goes.
  for (let i = 0; i < 600 && existsSync(join(dataDir, "rapfs.lock")); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The floor under a restart: node on one JavaScript module (start-floor.ts, bundled beforehand,
 * untimed) that opens the same data directory and answers HTTP, doing nothing else.
 */
export async function floorCommand(): Promise<string[]> {
  const outfile = join(repoRoot, "server/dist/bench/start-floor.mjs");
  await bundleModule(join(repoRoot, "server/bench/start-floor.ts"), outfile);
  return [process.execPath, outfile];
}

/** Seconds `command` takes to run to its end (e.g. `npx -y pnpm@10.34.8 --version`): median of 3. */
export function secondsToRun(command: string[]): number {
  const [file, ...args] = command as [string, ...string[]];
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    execFileSync(file, args, { cwd: repoRoot, stdio: "ignore" });
    times.push((performance.now() - started) / 1000);
  }
  return times.sort((a, b) => a - b)[1] as number;
}
