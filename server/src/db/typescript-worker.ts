import { isBuiltin } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";
import type { Plugin } from "esbuild";

/**
 * Starts a worker thread on a TypeScript module, however this process runs TypeScript. The
 * `rapfs` command's build (bin/built-entry.mjs) holds the worker entries, built beside the CLI.
 * Elsewhere (tsx, vitest) Node 20 gives a worker none of the main thread's module hooks, so the
 * entry and its local imports are bundled to one JavaScript module here, once per process.
 * Registering tsx inside the worker instead works too, but passes PGlite's own modules through
 * the hooks: measured, a worker took 0.4-0.6 s more CPU to start that way, and the bundle none.
 */
export async function startTypeScriptWorker(entry: URL, options: WorkerOptions): Promise<Worker> {
  const built = builtWorker(entry);
  if (built) return new Worker(built, options);
  let bundled = bundles.get(entry.href);
  if (!bundled) {
    bundled = bundle(entry);
    bundles.set(entry.href, bundled);
    bundled.catch(() => bundles.delete(entry.href));
  }
  return new Worker(await bundled, options);
}

/** The worker's module built with the `rapfs` command, which bin/rapfs.mjs names on a global. */
export function builtWorker(entry: URL): URL | undefined {
  const registry = globalThis as Record<symbol, Record<string, string> | undefined>;
  const built = registry[Symbol.for("rapfs.builtWorkers")]?.[entry.href];
  return built ? new URL(built) : undefined;
}

const bundles = new Map<string, Promise<URL>>();

async function bundle(entry: URL): Promise<URL> {
  const { build, stop } = await import("esbuild");
  try {
    const { outputFiles } = await build({
      entryPoints: [fileURLToPath(entry)],
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      write: false,
      sourcemap: "inline",
      sourcesContent: false,
      logLevel: "silent",
      plugins: [packagesByAbsoluteUrl],
    });
    const [output] = outputFiles;
    if (!output) throw new Error(`bundling ${entry.href} gave no output`);
    return new URL(`data:text/javascript,${encodeURIComponent(output.text)}`);
  } finally {
    // esbuild's service process would otherwise idle beside the server for its lifetime.
    await stop();
  }
}

/**
 * Packages stay outside the bundle, loaded by Node from node_modules as usual. A data: URL module
 * can import only builtins and absolute URLs, so each package is imported by its resolved URL.
 * Resolved from this directory: the worker's packages are the server's own dependencies.
 */
const packagesByAbsoluteUrl: Plugin = {
  name: "packages-by-absolute-url",
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, ({ path }) =>
      isBuiltin(path) ? { path, external: true } : { path: import.meta.resolve(path), external: true },
    );
  },
};
