import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/config/paths";
import { shutdownState } from "../../src/db/shutdown-state";

/**
 * Issue #37 item 9: the README's start command (`npm start`), stopped as a supervisor or Ctrl-C
 * stops it (a signal to its whole process group). npm relays the signal to the server: the server
 * must still drain, checkpoint the embedded database, log `stopped` and release its lock, idle,
 * under load and in the middle of a materialization run; the next start recovers nothing (the
 * database's control file says it was shut down), and the stop says nothing more than that
 * (#41 item 6: no warning, no error, no ELIFECYCLE). One file per signal
 * (graceful-stop-sigterm.test.ts, graceful-stop-sigint.test.ts), so the two run side by side.
 */
const dataDir = mkdtempSync(join(tmpdir(), "rapfs-graceful-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

type Started = { child: ChildProcess; url: string; output: () => string; exited: Promise<number | null> };

function start(directory = dataDir, scale = "0.004"): Promise<Started> {
  let output = "";
  const child = spawn("npm", ["start"], {
    cwd: repoRoot,
    detached: true,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      RAPFS_DATA_DIR: directory,
      RAPFS_CORPUS_SCALE: scale,
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

/** What a clean stop leaves: `stopped` logged, no lock, a database shut down, nothing else said. */
function expectCleanStop(started: Started, directory = dataDir): void {
  const output = started.output();
  expect(output).toMatch(/"msg":"stopped"/);
  expect(existsSync(join(directory, "rapfs.lock"))).toBe(false);
  expect(shutdownState(join(directory, "pgdata"))).toBe("shut down");
  expect(output).not.toMatch(/ELIFECYCLE/);
  const afterStop = output.slice(output.indexOf('"msg":"shutting down"'));
  expect(afterStop.split("\n").filter((line) => /"level":"(warn|error)"/.test(line))).toEqual([]);
}

/** A start that found its database not shut down cleanly says so (and PostgreSQL recovers it). */
const recovered = (started: Started) => /not shut down cleanly/.test(started.output());

export function describeGracefulStop(signal: "SIGTERM" | "SIGINT"): void {
  beforeAll(async () => {
    // The first start builds the data directory; the stops below are of later starts.
    const first = await start();
    await ready(first.url);
    await stopGroup(first, "SIGTERM");
  }, 300_000);

  describe(`the README's start command stopped with ${signal} to its process group`, () => {
    it("idle: logs stopped and leaves no lock", async () => {
      const started = await start();
      await ready(started.url);
      expect(recovered(started)).toBe(false);
      await stopGroup(started, signal);
      expectCleanStop(started);
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
      expect(recovered(started)).toBe(false);
      expectCleanStop(started);
    });

    it("during a materialization run: stops it, logs stopped, and the next start recovers nothing", async () => {
      // A first start materializes every view after loading the corpus: stopped once the first
      // view is done and the next one is running.
      const directory = mkdtempSync(join(tmpdir(), "rapfs-graceful-run-"));
      try {
        const started = await start(directory, "0.03");
        await until(started, /materialize: [1-9]\d*\/\d+/);
        await stopGroup(started, signal);
        expect(started.output()).not.toMatch(/"msg":"data ready"/);
        expectCleanStop(started, directory);
        const next = await start(directory, "0.03");
        await ready(next.url);
        expect(recovered(next)).toBe(false);
        await stopGroup(next, signal);
        expectCleanStop(next, directory);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    });
  });
}

async function until(started: Started, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 2_400 && !pattern.test(started.output()); i++) {
    if (started.child.exitCode !== null) throw new Error(`exited before ${pattern}:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  if (!pattern.test(started.output())) throw new Error(`never saw ${pattern}:\n${started.output()}`);
}
