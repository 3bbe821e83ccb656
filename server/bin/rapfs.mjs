#!/usr/bin/env node
// The `rapfs` command (`npm start`, `pnpm rapfs`, or this file run directly): the CLI built from
// server/src to JavaScript, cached until a source changes (built-entry.mjs).
// RAPFS_FROM_SOURCE=1 runs the TypeScript sources through tsx instead, as the tests do.
import { Worker } from "node:worker_threads";
import { builtCli } from "./built-entry.mjs";

async function fromSource() {
  const { register } = await import("tsx/esm/api");
  // server/tsconfig.json, wherever the command runs: its paths take @rapfs/sdk from source.
  register({ tsconfig: new URL("../tsconfig.json", import.meta.url).pathname });
  return new URL("../src/cli/main.ts", import.meta.url).href;
}

/**
 * `rapfs start` on the embedded database: its thread starts before the CLI loads, and compiles
 * PGlite meanwhile (a second core's work); db/embedded.ts takes it (db/prestarted-worker.ts).
 */
function prestartDatabase(workers) {
  const source = new URL("../src/db/embedded-worker.ts", import.meta.url).href;
  const worker = new Worker(new URL(workers[source]));
  const prestarted = { worker, exited: false };
  worker.unref();
  worker.once("exit", () => (prestarted.exited = true));
  globalThis[Symbol.for("rapfs.prestartedDatabase")] = prestarted;
}

let entry;
if (process.env.RAPFS_FROM_SOURCE === "1") entry = await fromSource();
else {
  try {
    const built = await builtCli();
    entry = built.entry;
    // Where startTypeScriptWorker (src/db/typescript-worker.ts) finds the threads built with it.
    globalThis[Symbol.for("rapfs.builtWorkers")] = built.workers;
    if (process.argv[2] === "start" && !process.env.DATABASE_URL) prestartDatabase(built.workers);
  } catch (error) {
    process.stderr.write(`rapfs: could not build the CLI (${error.message}); running it from source\n`);
    entry = await fromSource();
  }
}
await import(entry);
