import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { VERSION } from "@rapfs/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  attw,
  bundleImports,
  installInto,
  type ModuleSystem,
  packWithNpm,
  publintMessages,
  runSmoke,
  scratch,
  tarballFiles,
  tarballText,
} from "../scripts/check-package";
import { publishArgs, versionProblems } from "../scripts/release";
import { startLive } from "./live/server";

describe("the package's bin in a clone", () => {
  it("is a file of the source, so installing the workspace links it before the SDK is built", () => {
    const sdkDir = join(import.meta.dirname, "..");
    const pkg = createRequire(import.meta.url)("../package.json") as { bin: Record<string, string> };
    const target = pkg.bin["rapfs-sdk"] as string;
    // Under dist/ it did not exist on a fresh install: pnpm warned "Failed to create bin".
    expect(target).not.toMatch(/^(\.\/)?dist\//);
    expect(existsSync(join(sdkDir, target))).toBe(true);
  });

  it("says how to build the SDK when it is run before the build", async () => {
    const dir = scratch();
    try {
      mkdirSync(join(dir, "bin"));
      writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
      copyFileSync(join(import.meta.dirname, "..", "bin", "rapfs-sdk.js"), join(dir, "bin", "rapfs-sdk.js"));
      const run = promisify(execFile)(process.execPath, [join(dir, "bin", "rapfs-sdk.js"), "--help"]);
      const failed = await run.then(
        () => undefined,
        (error: { code?: number; stderr?: string }) => error,
      );
      expect(failed).toMatchObject({
        code: 1,
        stderr: expect.stringContaining("pnpm --filter @rapfs/sdk build"),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The package as npm users get it: `npm pack` (not pnpm, whose publishConfig npm ignores) runs the
// prepack build; the tarball is installed with npm into empty projects and linted.
// Generous timeouts: the file runs beside the server's tests, which keep the CPUs busy.
describe("the package npm packs", { timeout: 60_000 }, () => {
  let work: string;
  let tarball: string;
  beforeAll(async () => {
    work = scratch();
    tarball = await packWithNpm(work);
  }, 120_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("holds the build, the licence, and metadata and a README that work away from the repository", async () => {
    expect(await tarballFiles(tarball)).toEqual([
      "CHANGELOG.md",
      "LICENSE",
      "README.md",
      "bin/rapfs-sdk.js",
      "dist/cli.js",
      "dist/index.cjs",
      "dist/index.cjs.map",
      "dist/index.d.cts",
      "dist/index.d.ts",
      "dist/index.js",
      "dist/index.js.map",
      "package.json",
    ]);
    const pkg = JSON.parse(await tarballText(tarball, "package.json"));
    expect(pkg).toMatchObject({
      version: VERSION,
      license: "MIT",
      main: "./dist/index.cjs",
      module: "./dist/index.js",
      types: "./dist/index.d.cts",
      repository: { type: "git", url: "git+https://github.com/rapfs/rapfs.git", directory: "sdk" },
      homepage: expect.stringMatching(/^https:\/\/github\.com\/rapfs\/rapfs\b/),
      bugs: { url: "https://github.com/rapfs/rapfs/issues" },
      scripts: { prepack: expect.any(String) },
    });
    expect(JSON.stringify(pkg.exports)).not.toContain("src/");
    expect(pkg.dependencies).toBeUndefined();
    expect(await tarballText(tarball, "LICENSE")).toMatch(
      /^MIT License\s+Copyright \(c\) 2026 rapfs contributors/,
    );
    const readme = await tarballText(tarball, "README.md");
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => !/^(https:\/\/|#)/.test(link))).toEqual([]);
  });

  it.each([
    ["cjs", /\/dist\/index\.cjs$/],
    ["esm", /\/dist\/index\.js$/],
  ] as const)(
    "installs with npm into an empty %s project and works there",
    async (system: ModuleSystem, entry) => {
      const dir = await installInto(work, system, tarball);
      expect(await runSmoke(dir)).toEqual({
        version: VERSION,
        entry: expect.stringMatching(entry),
        error: "NotFoundError",
      });
    },
  );

  it("compiles in a strict TypeScript project with skipLibCheck off and no apache-arrow installed", async () => {
    const dir = await installInto(work, "cjs", tarball, "ts-strict");
    expect(existsSync(join(dir, "node_modules", "apache-arrow"))).toBe(false);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          types: [],
        },
        include: ["*.mts", "*.cts"],
      }),
    );
    const use = `const fs = new RapFS({ apiKey: "rapfs_x" });
const table = await fs.datasets.download("public", { limit: 3 }).toArrowTable();
const rows: number = table.numRows;
const first: Record<string, unknown> | undefined = table.get(0)?.toJSON();
export { rows, first };`;
    writeFileSync(join(dir, "esm.mts"), `import { RapFS } from "@rapfs/sdk";\n${use}\n`);
    writeFileSync(
      join(dir, "cjs.cts"),
      `import { RapFS } from "@rapfs/sdk";\nexport async function main() {\n${use.replace("export { rows, first };", "return { rows, first };")}\n}\n`,
    );
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const compiled = await promisify(execFile)(process.execPath, [tsc, "-p", dir]).then(
      () => "",
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(compiled).toBe("");
  });

  it("ships codegen as its bin: run against a live server, it types .mts and .cts files alike", async () => {
    const dir = await installInto(work, "cjs", tarball, "codegen");
    const live = await startLive();
    try {
      const bin = join(dir, "node_modules", ".bin", "rapfs-sdk");
      const { stdout } = await promisify(execFile)(
        bin,
        ["codegen", "--url", live.url, "--out", "rapfs.d.ts"],
        {
          cwd: dir,
          env: { ...process.env, RAPFS_API_KEY: live.adminKey },
        },
      );
      expect(stdout).toMatch(/^Wrote .*rapfs\.d\.ts: \d+ entities, \d+ features, \d+ services\.\n$/);
    } finally {
      await live.shutdown();
    }
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: "nodenext", types: [] },
        include: ["rapfs.d.ts", "*.mts", "*.cts"],
      }),
    );
    const use = (exported: string) => `import { RapFS } from "@rapfs/sdk";
const fs = new RapFS({ apiKey: "rapfs_x" });
export async function ${exported}() {
  const { features } = await fs.features.get("track", 1, { features: ["qwen_analysis:mood"] });
  const mood: string | null = features["qwen_analysis@2:mood"].value;
  // @ts-expect-error a typed value is not a number
  const wrong: number | null = features["qwen_analysis@2:mood"].value;
  // @ts-expect-error a misspelt feature in a search filter
  await fs.embeddings.search("lyrics", { id: 1, filters: [{ feature: "track_profile:titel_length", op: "gte", value: 1 }] });
  return { mood, wrong };
}
`;
    writeFileSync(join(dir, "esm.mts"), use("esm"));
    writeFileSync(join(dir, "cjs.cts"), use("cjs"));
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const compiled = await promisify(execFile)(process.execPath, [tsc, "-p", dir]).then(
      () => "",
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(compiled).toBe("");
  }, 240_000);

  it("is what the release command publishes: its version checks pass and npm publish --dry-run takes this tarball", async () => {
    expect(versionProblems()).toEqual([]);
    const { stdout, stderr } = await promisify(execFile)("npm", publishArgs(tarball, { dryRun: true }), {
      cwd: work,
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name))),
    });
    expect(stdout).toContain(`+ @rapfs/sdk@${VERSION}`);
    expect(stderr).toMatch(/Publishing to .* with tag latest and public access \(dry-run\)/);
  }, 120_000);

  it("bundles import nothing, so they run unchanged outside Node", async () => {
    const dir = join(work, "unpacked");
    mkdirSync(dir);
    await promisify(execFile)("tar", ["-xzf", tarball, "-C", dir, "--strip-components=1"]);
    expect(bundleImports(dir)).toEqual([]);
  });

  it("passes publint --strict", async () => {
    expect(await publintMessages(tarball)).toEqual([]);
  });

  it("passes attw in all four resolution modes", async () => {
    const report = await attw(tarball);
    expect(report.problems, report.table).toEqual([]);
    expect(report.resolutions).toMatchObject({
      ". node10": "dist/index.d.cts",
      ". node16-cjs": "dist/index.d.cts",
      ". node16-esm": "dist/index.d.ts",
      ". bundler": "dist/index.d.ts",
    });
  });
});
