// The CLI as one JavaScript module, built from server/src with esbuild on first use and rebuilt
// when a source it was built from changes: loading it costs node ~0.3 s where tsx compiling
// (or reading from its cache) the ~300 TypeScript files took 1-2 s of every start and command.
// Plain JavaScript, because it runs before anything that could load TypeScript.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const serverDir = fileURLToPath(new URL("../", import.meta.url));
const sourceDir = join(serverDir, "src");
const distDir = join(serverDir, "dist", "cli");
const manifestPath = join(distDir, "manifest.json");

/** The built CLI's URL: the cached build when every source it came from is unchanged, else a new one. */
export async function builtCli() {
  const cached = freshBuild();
  if (cached) return pathToFileURL(join(distDir, cached)).href;
  return pathToFileURL(join(distDir, await build())).href;
}

/** The cached bundle's file name, if each of its inputs has the size and mtime it was built from. */
function freshBuild() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    statSync(join(distDir, manifest.file));
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
  return manifest.file;
}

/**
 * Bundles server/src/cli/main.ts with its packages left to node_modules. Each file keeps its own
 * `import.meta.url`, so paths it finds from there (the repository root, the console's assets, the
 * embedded database's worker) are those of its source. Written under a name of its own and then
 * named in the manifest, so processes building at once never read a half-written file.
 */
async function build() {
  const file = `rapfs-${process.pid}-${Date.now().toString(36)}.mjs`;
  mkdirSync(distDir, { recursive: true });
  const result = await bundleModule(join(sourceDir, "cli", "main.ts"), join(distDir, file));
  const inputs = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = relative(serverDir, resolve(input));
    const stat = statSync(join(serverDir, path));
    inputs[path] = [stat.size, stat.mtimeMs];
  }
  const temporary = `${manifestPath}.${process.pid}`;
  writeFileSync(temporary, JSON.stringify({ file, inputs }));
  renameSync(temporary, manifestPath);
  removeOldBuilds(file);
  return file;
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
      if (statSync(path).mtimeMs < hourAgo) rmSync(path, { force: true });
    } catch {}
  }
}

/**
 * One TypeScript entry and its local imports as one JavaScript module at `outfile`, packages left
 * to node_modules (resolved from `outfile`, so it must be inside server/), each file keeping its
 * own `import.meta.url`. Resolves to esbuild's result, with its metafile.
 */
export async function bundleModule(entry, outfile) {
  const { build: esbuild, stop } = await import("esbuild");
  try {
    return await esbuild({
      entryPoints: [entry],
      outfile,
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
