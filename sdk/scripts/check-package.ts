// The package as npm users get it: packed by npm itself (which runs `prepack`, the build, and
// ignores pnpm's publishConfig), installed from the tarball into empty ESM and CommonJS projects,
// loaded with import and require, and linted with publint and @arethetypeswrong/cli.
// test/package.test.ts runs these steps; `pnpm run check:package` prints them.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { publint } from "publint";
import { formatMessage } from "publint/utils";

export const sdkDir = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => join(sdkDir, "node_modules", ".bin", name);

/**
 * The environment without what a running pnpm or npm exports to its scripts (`npm_config_*` and
 * friends), which the child npm would take for its own configuration.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  return { ...env, NO_COLOR: "1", FORCE_COLOR: "0", npm_config_update_notifier: "false" };
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(cmd, args, {
      cwd,
      env: childEnv(),
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
}

export type ModuleSystem = "esm" | "cjs";

/** Packs the SDK with `npm pack` into `work`; its prepack script builds dist/ first. */
export async function packWithNpm(work: string): Promise<string> {
  const destination = join(work, "pack");
  mkdirSync(destination, { recursive: true });
  await run("npm", ["pack", "--pack-destination", destination], sdkDir);
  const tarballs = readdirSync(destination).filter((f) => f.endsWith(".tgz"));
  if (tarballs.length !== 1) throw new Error(`npm pack wrote ${tarballs.join(", ") || "no tarball"}`);
  return join(destination, tarballs[0] as string);
}

/** The files of a tarball (paths without npm's `package/` prefix). */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const listing = await run("tar", ["-tzf", tarball], sdkDir);
  return listing
    .split("\n")
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ""))
    .sort();
}

/** One file's text from a tarball. */
export function tarballText(tarball: string, file: string): Promise<string> {
  return run("tar", ["-xzOf", tarball, `package/${file}`], sdkDir);
}

// Exercises the installed package the way a user would: a call through an injected fetch, the
// error classes, a download written to a file, and which build the resolver picked.
const smoke = (system: ModuleSystem, dir: string) => `${
  system === "esm"
    ? 'import * as sdk from "@rapfs/sdk";\nconst entry = import.meta.resolve("@rapfs/sdk");'
    : 'const sdk = require("@rapfs/sdk");\nconst entry = require.resolve("@rapfs/sdk");'
}
const main = async () => {
  const fetch = async (url, init) => {
    if (url.endsWith("/missing")) {
      const problem = { title: "Not Found", status: 404, code: "NOT_FOUND", request_id: "req-1" };
      return new Response(JSON.stringify(problem), {
        status: 404,
        headers: { "content-type": "application/problem+json" },
      });
    }
    if (url.includes("/download")) return new Response("track_id\\n1\\n", { headers: { "content-type": "text/csv" } });
    return Response.json({ url, auth: init.headers.get("authorization") });
  };
  const client = new sdk.RapFS({ apiKey: "k", baseURL: "http://rapfs.test", fetch, maxRetries: 0 });
  const body = await client.get("/health");
  if (body.url !== "http://rapfs.test/health" || body.auth !== "Bearer k") throw new Error("bad response " + JSON.stringify(body));
  const error = await client.get("/missing").catch((e) => e);
  if (
    !(error instanceof sdk.NotFoundError) ||
    !(error instanceof sdk.APIError) ||
    !(error instanceof sdk.RapFSError) ||
    error.status !== 404 ||
    error.requestId !== "req-1"
  ) {
    throw new Error("bad error " + error);
  }
  const written = await client.datasets.download("public", { format: "csv" }).toFile(${JSON.stringify(join(dir, "download.csv"))});
  if (written !== 11) throw new Error("toFile wrote " + written + " bytes");
  console.log(JSON.stringify({ version: sdk.VERSION, entry: String(entry), error: error.name }));
};
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
`;

/**
 * Installs the tarball with npm into a new, empty project of that module system and returns the
 * project's directory. The SDK has no dependencies (apache-arrow is an optional peer), so npm
 * needs nothing from the registry.
 */
export async function installInto(
  work: string,
  system: ModuleSystem,
  tarball: string,
  name: string = system,
): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const type = system === "esm" ? "module" : "commonjs";
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: `${system}-consumer`, private: true, type }),
  );
  writeFileSync(join(dir, "index.js"), smoke(system, dir));
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], dir);
  return dir;
}

export interface SmokeResult {
  version: string;
  /** The file the package resolved to, as a path or file URL. */
  entry: string;
  /** The name of the error a 404 became. */
  error: string;
}

/** Runs the project's index.js (import or require of the SDK and a few calls). */
export async function runSmoke(dir: string): Promise<SmokeResult> {
  const stdout = await run(process.execPath, ["index.js"], dir);
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as SmokeResult;
}

/** Static imports in the installed bundles: the bundles must run unchanged outside Node. */
export function bundleImports(packageDir: string): string[] {
  return ["index.js", "index.cjs"].flatMap((file) => {
    const code = readFileSync(join(packageDir, "dist", file), "utf8");
    const found = code.matchAll(/(?:\bfrom\s*|\brequire\(\s*|^import\s*)["']([^"']+)["']/gm);
    return [...found].map((m) => `${file}: ${m[1]}`);
  });
}

/** publint's messages (strict: warnings count as errors) for the tarball as packed. */
export async function publintMessages(tarball: string): Promise<string[]> {
  const bytes = readFileSync(tarball);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const { messages, pkg } = await publint({ pack: { tarball: buffer }, strict: true, level: "suggestion" });
  return messages.map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`);
}

export interface AttwReport {
  /** Every problem attw found, as `kind (resolution)`. */
  problems: string[];
  /** For each entry point and resolution mode, the types file it resolved to (undefined: none). */
  resolutions: Record<string, string | undefined>;
  /** The table attw prints, for a human to read: when asked for, or when there are problems. */
  table: string | undefined;
}

interface AttwJson {
  analysis: {
    problems?: { kind: string; resolutionKind?: string; entrypoint?: string }[];
    entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string } }> }>;
  };
}

/** @arethetypeswrong/cli on the tarball, in all four resolution modes. */
export async function attw(tarball: string, options: { table?: boolean } = {}): Promise<AttwReport> {
  // attw exits non-zero when it finds a problem; the JSON says which, so read it either way.
  const json = await run(bin("attw"), [tarball, "--format", "json"], sdkDir).catch((error: Error) => {
    const start = error.message.indexOf("{");
    if (start < 0) throw error;
    return error.message.slice(start);
  });
  const { analysis } = JSON.parse(json) as AttwJson;
  const resolutions: Record<string, string | undefined> = {};
  for (const [entry, { resolutions: modes }] of Object.entries(analysis.entrypoints)) {
    for (const [mode, found] of Object.entries(modes)) {
      resolutions[`${entry} ${mode}`] = found.resolution?.fileName.replace(
        /^\/node_modules\/@rapfs\/sdk\//,
        "",
      );
    }
  }
  const problems = (analysis.problems ?? []).map(
    (p) =>
      `${p.kind}${p.entrypoint ? ` ${p.entrypoint}` : ""}${p.resolutionKind ? ` (${p.resolutionKind})` : ""}`,
  );
  const table =
    options.table || problems.length > 0
      ? await run(bin("attw"), [tarball, "--format", "table-flipped"], sdkDir).catch(
          (error: Error) => error.message,
        )
      : undefined;
  return { problems, resolutions, table };
}

/** A scratch directory for one check; the caller removes it. */
export const scratch = () => mkdtempSync(join(tmpdir(), "rapfs-sdk-package-"));

/**
 * Every check above on a fresh `npm pack`, each printed as it passes; exits 1 at the first that
 * fails. Returns the tarball checked (in `work`), which is what `npm publish` would upload.
 */
export async function checkPackage(work: string): Promise<string> {
  const step = async <T>(name: string, fn: () => Promise<T>, show: (value: T) => string = () => "") => {
    try {
      const value = await fn();
      const text = show(value).trimEnd();
      console.log(`ok   ${name}${text ? `\n${text.replace(/^/gm, "     ")}` : ""}`);
      return value;
    } catch (error) {
      console.error(`FAIL ${name}\n${error instanceof Error ? error.message : String(error)}`);
      rmSync(work, { recursive: true, force: true });
      process.exit(1);
    }
  };
  const expectNone = (what: string, found: string[]) => {
    if (found.length > 0) throw new Error(`${what}:\n${found.join("\n")}`);
    return found;
  };

  const tarball = await step("npm pack (prepack builds dist/)", () => packWithNpm(work));
  await step(
    "files in the tarball",
    () => tarballFiles(tarball),
    (files) => files.join(" "),
  );
  for (const system of ["cjs", "esm"] as const) {
    const dir = await step(`npm install of the tarball into an empty ${system} project`, () =>
      installInto(work, system, tarball),
    );
    await step(
      system === "esm" ? "import '@rapfs/sdk' from ESM" : "require('@rapfs/sdk') from CommonJS",
      () => runSmoke(dir),
      (r) => JSON.stringify(r),
    );
  }
  await step("no imports in the bundles", async () =>
    expectNone("imports", bundleImports(join(work, "esm", "node_modules", "@rapfs", "sdk"))),
  );
  await step("publint --strict", async () => expectNone("publint", await publintMessages(tarball)));
  await step(
    "attw (are the types wrong)",
    async () => {
      const report = await attw(tarball, { table: true });
      expectNone(`attw\n${report.table}`, report.problems);
      return report;
    },
    (r) => r.table ?? "",
  );
  console.log("package checks passed");
  return tarball;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const work = scratch();
  await checkPackage(work);
  rmSync(work, { recursive: true, force: true });
}
