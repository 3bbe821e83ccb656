import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/config/paths";

/**
 * Issue #37 item 9: the README's start command, stopped as a supervisor or Ctrl-C stops it (a
 * signal to its whole process group). Through the package manager's script (pnpm where it is on
 * PATH, as the README runs it; npm otherwise), which relays the signal to the server: the server
 * must still drain, checkpoint the embedded database, log `stopped` and release its lock.
 */
const manager = (() => {
  try {
    execFileSync("pnpm", ["--version"], { stdio: "ignore" });
    return "pnpm";
  } catch {
    return "npm";
  }
})();

const dataDir = mkdtempSync(join(tmpdir(), "rapfs-graceful-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

type Started = { child: ChildProcess; url: string; output: () => string; exited: Promise<number | null> };

function start(): Promise<Started> {
  let output = "";
  const child = spawn(manager, ["start"], {
    cwd: repoRoot,
    detached: true,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      RAPFS_DATA_DIR: dataDir,
      RAPFS_CORPUS_SCALE: "0.004",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const listening = /"msg":"listening".*?"url":"(http:\/\/[^"]+)"/.exec(output);
      if (listening?.[1]) resolve({ child, url: listening[1], output: () => output, exited });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited with ${code} before listening:\n${output}`)));
  });
}

async function ready(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${url}/ready`).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} never became ready`);
}

async function stopGroup(started: Started, signal: NodeJS.Signals): Promise<void> {
  process.kill(-(started.child.pid as number), signal);
  const killer = setTimeout(() => process.kill(-(started.child.pid as number), "SIGKILL"), 60_000);
  await started.exited;
  clearTimeout(killer);
}

beforeAll(async () => {
  // The first start builds the data directory; the stops below are of later starts.
  const first = await start();
  await ready(first.url);
  await stopGroup(first, "SIGTERM");
}, 300_000);

describe.each(["SIGTERM", "SIGINT"] as const)(
  "the README's start command stopped with %s to its process group",
  (signal) => {
    it("idle: logs stopped and leaves no lock", async () => {
      const started = await start();
      await ready(started.url);
      await stopGroup(started, signal);
      expect(started.output()).toMatch(/"msg":"stopped"/);
      expect(existsSync(join(dataDir, "rapfs.lock"))).toBe(false);
    });

    it("under load: answers what it took, logs stopped and leaves no lock", async () => {
      const started = await start();
      await ready(started.url);
      let stop = false;
      const load = (async () => {
        const statuses: number[] = [];
        for (let n = 0; n < 2_000 && !stop; n++) {
          const res = await fetch(`${started.url}/health`).catch(() => undefined);
          statuses.push(res?.status ?? 0);
        }
        return statuses;
      })();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await stopGroup(started, signal);
      stop = true;
      const statuses = await load;
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
      expect(started.output()).toMatch(/"msg":"stopped"/);
      expect(existsSync(join(dataDir, "rapfs.lock"))).toBe(false);
    });
  },
);
