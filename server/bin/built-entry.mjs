// The CLI as JavaScript, built from server/src with esbuild on first use and rebuilt when a source
// it was built from changes: loading it costs node ~0.3 s where tsx compiling (or reading from its
// cache) the ~300 TypeScript files took 1-2 s of every start and command. Split into chunks, so a
// command loads only the packages it uses, and with its worker threads' entries built beside it,
// so no thread is bundled at run time. Plain JavaScript: it runs before anything that could load
// TypeScript.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const serverDir = fileURLToPath(new URL("../", import.meta.url));
const sourceDir = join(serverDir, "src");
const distDir = join(serverDir, "dist", "cli");
const manifestPath = join(distDir, "manifest.json");

/** Worker threads' entries, built beside the CLI: startTypeScriptWorker finds them by source URL. */
const WORKERS = ["db/embedded-worker.ts", "corpus/generate-worker.ts", "datasets/encode/parquet-worker.ts"];

/**
 * The built CLI: the cached build when every source it came from is unchanged, else a new one.
 * `entry` is the CLI's URL; `workers` maps each worker's source URL to its built module's URL.
 */
export async function builtCli() {
  const dir = freshBuild() ?? (await build());
  const url = (name) => pathToFileURL(join(distDir, dir, `${name}.mjs`)).href;
  const workers = Object.fromEntries(
    WORKERS.map((source) => [pathToFileURL(join(sourceDir, source)).href, url(entryName(source))]),
  );
  return { entry: url("main"), workers };
}

const entryName = (source) => source.replace(/^.*\//, "").replace(/\.ts$/, "");

/** The cached build's folder, if each of its inputs has the size and mtime it was built from. */
function freshBuild() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    // A build from before a worker entry was added lacks it: built again.
    for (const name of ["main", ...WORKERS.map(entryName)])
      statSync(join(distDir, manifest.dir, `${name}.mjs`));
  } catch {
    return undefined;
  }
  for (const [path, [size, mtimeMs]] of Object.entries(manifest.inputs)) {
    try {
      const stat = statSync(join(serverDir, path));
      if (stat.size !== size || stat.mtimeMs !== mtimeMs) return undefined;
    } catch {
      return undefined;
    }
  }
  return manifest.dir;
}

/**
 * Bundles server/src/cli/main.ts and the worker entries, packages left to node_modules. Each file
 * keeps its own `import.meta.url`, so paths it finds from there (the repository root, the
 * console's assets) are those of its source. Written to a folder of its own and then named in
 * the manifest, so processes building at once never read a half-written build.
 */
async function build() {
  const dir = `rapfs-${process.pid}-${Date.now().toString(36)}`;
  mkdirSync(distDir, { recursive: true });
  const entryPoints = { main: join(sourceDir, "cli", "main.ts") };
  for (const source of WORKERS) entryPoints[entryName(source)] = join(sourceDir, source);
  const result = await bundle({
    entryPoints,
    outdir: join(distDir, dir),
    splitting: true,
    chunkNames: "chunk-[hash]",
    outExtension: { ".js": ".mjs" },
  });
  const inputs = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = relative(serverDir, resolve(input));
    const stat = statSync(join(serverDir, path));
    inputs[path] = [stat.size, stat.mtimeMs];
  }
  const temporary = `${manifestPath}.${process.pid}`;
  writeFileSync(temporary, JSON.stringify({ dir, inputs }));
  renameSync(temporary, manifestPath);
  removeOldBuilds(dir);
  return dir;
}

/**
 * Earlier builds an hour old: a process that read the manifest just before it changed may still
 * be about to import the one it named (an imported bundle is in its process's memory already).
 */
function removeOldBuilds(current) {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(distDir)) {
    if (!name.startsWith("rapfs-") || name === current) continue;
    const path = join(distDir, name);
    try {
      if (statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
    } catch {}
  }
}

/**
 * One TypeScript entry and its local imports as one JavaScript module at `outfile`, packages left
 * to node_modules (resolved from `outfile`, so it must be inside server/), each file keeping its
 * own `import.meta.url`. Resolves to esbuild's result, with its metafile.
 */
export function bundleModule(entry, outfile) {
  return bundle({ entryPoints: [entry], outfile });
}

async function bundle(options) {
  const { build: esbuild, stop } = await import("esbuild");
  try {
    return await esbuild({
      ...options,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      metafile: true,
      logLevel: "error",
      plugins: [sourceLocations],
    });
  } finally {
    // Its service process would otherwise idle beside the server for its lifetime.
    await stop();
  }
}

const sourceLocations = {
  name: "source-locations",
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const text = await readFile(path, "utf8");
      const url = JSON.stringify(pathToFileURL(path).href);
      return { contents: text.replaceAll("import.meta.url", url), loader: "ts", resolveDir: dirname(path) };
    });
  },
};
