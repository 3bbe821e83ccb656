import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rapfsArgs } from "../support/rapfs-command";

const recorder = new URL("../support/record-imports.mjs", import.meta.url).pathname;
const folder = await mkdtemp(join(tmpdir(), "rapfs-help-imports-"));
afterAll(() => rm(folder, { recursive: true, force: true }));

/** The packages (node_modules folders) a `rapfs <args>` process loads, and what it printed. */
async function packagesLoadedBy(...args: string[]): Promise<{ packages: string[]; stdout: string }> {
  const log = join(folder, `${args.join("-")}.log`);
  const stdout = execFileSync(process.execPath, ["--import", recorder, ...rapfsArgs(...args)], {
    env: { ...process.env, RAPFS_IMPORTS_LOG: log },
    encoding: "utf8",
  });
  const packages = new Set<string>();
  for (const url of (await readFile(log, "utf8")).split("\n")) {
    const inPackage = url.split("/node_modules/").slice(1).at(-1);
    const name = inPackage && /^(?:@[^/]+\/)?[^/]+/.exec(inPackage)?.[0];
    if (name) packages.add(name);
  }
  return { packages: [...packages].sort(), stdout };
}

describe("rapfs --help loads only the command definitions (#42)", () => {
  // Each command's action imports its domain code when it runs, so a help text costs node
  // commander and a few small modules: no database driver, Redis client, Arrow or Parquet.
  it.each([[["--help"]], [["corpus", "generate", "--help"]], [["ingest", "--help"]], [["export", "--help"]]])(
    "rapfs %j",
    async (args) => {
      const { packages, stdout } = await packagesLoadedBy(...args);
      expect(stdout).toMatch(/^Usage: rapfs/);
      expect(packages).toEqual(["commander"]);
    },
  );

  it("a command still loads what its action needs when it runs", async () => {
    const { packages, stdout } = await packagesLoadedBy("keys", "generate");
    expect(stdout).toMatch(/^rapfs_\w+\n$/);
    expect(packages).toContain("commander");
    expect(packages.length).toBeGreaterThan(1);
  });
});
