import { execFile } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
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
      "LICENSE",
      "README.md",
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
