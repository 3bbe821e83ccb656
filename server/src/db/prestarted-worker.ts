import type { Worker } from "node:worker_threads";

/** The global bin/rapfs.mjs puts the embedded database's prestarted thread on. */
const PRESTARTED = Symbol.for("rapfs.prestartedDatabase");

/**
 * The embedded database's thread that `rapfs start` started before it loaded the CLI (see
 * bin/rapfs.mjs), so that PGlite compiles while the server's modules load: taken once, and only
 * while it runs. It waits for an OpenMessage (embedded-worker.ts).
 */
export function takePrestartedWorker(): Worker | undefined {
  const registry = globalThis as Record<symbol, { worker: Worker; exited: boolean } | undefined>;
  const prestarted = registry[PRESTARTED];
  registry[PRESTARTED] = undefined;
  return prestarted && !prestarted.exited ? prestarted.worker : undefined;
}
