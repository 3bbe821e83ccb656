import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { builtCli } from "../../bin/built-entry.mjs";
import { takePrestartedWorker } from "../../src/db/prestarted-worker";
import { startTypeScriptWorker } from "../../src/db/typescript-worker";

const BUILT_WORKERS = Symbol.for("rapfs.builtWorkers");
const PRESTARTED = Symbol.for("rapfs.prestartedDatabase");
const registry = globalThis as Record<symbol, unknown>;
const folder = await mkdtemp(join(tmpdir(), "rapfs-built-workers-"));
afterAll(async () => {
  registry[BUILT_WORKERS] = undefined;
  registry[PRESTARTED] = undefined;
  await rm(folder, { recursive: true, force: true });
});

const firstMessage = (worker: Worker) =>
  new Promise<unknown>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });

describe("worker threads of the built CLI (restart, issue #37)", () => {
  it("the CLI is built with its worker entries beside it", async () => {
    const { entry, workers } = await builtCli();
    expect(entry).toMatch(/\/main\.mjs$/);
    const embedded = new URL("../../src/db/embedded-worker.ts", import.meta.url).href;
    const generator = new URL("../../src/corpus/generate-worker.ts", import.meta.url).href;
    expect(workers[embedded]).toMatch(/\/embedded-worker\.mjs$/);
    expect(workers[generator]).toMatch(/\/generate-worker\.mjs$/);
  });

  it("a worker the CLI was built with starts from its built module, with nothing bundled at run time", async () => {
    const built = join(folder, "built.mjs");
    await writeFile(
      built,
      `import { parentPort } from "node:worker_threads"; parentPort.postMessage("built");`,
    );
    const source = new URL("./no-such-source.ts", import.meta.url);
    registry[BUILT_WORKERS] = { [source.href]: pathToFileURL(built).href };
    const worker = await startTypeScriptWorker(source, {});
    try {
      expect(await firstMessage(worker)).toBe("built");
    } finally {
      await worker.terminate();
    }
  });

  it("a prestarted database thread is taken once, and never after it exited", async () => {
    const { Worker } = await import("node:worker_threads");
    const worker = new Worker("setInterval(() => {}, 1000)", { eval: true });
    registry[PRESTARTED] = { worker, exited: false };
    expect(takePrestartedWorker()).toBe(worker);
    expect(takePrestartedWorker()).toBeUndefined();
    registry[PRESTARTED] = { worker, exited: true };
    expect(takePrestartedWorker()).toBeUndefined();
    await worker.terminate();
  });
});
