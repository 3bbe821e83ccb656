import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

// `pnpm test` lints beside the tests, and the SDK's package test builds it with tsup, which loads
// its config through a bundled copy written beside it for a moment: a lint that met that copy
// failed the run with no test failed.
const root = new URL("../../../", import.meta.url);
const biome = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");
const work = mkdtempSync(join(tmpdir(), "rapfs-lint-scope-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `biome check sdk` in a folder holding the repository's lint settings and `files`. */
async function lint(files: Record<string, string>): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(work, "case-"));
  const { $schema: _, vcs: __, ...settings } = JSON.parse(readFileSync(new URL("biome.json", root), "utf8"));
  writeFileSync(join(dir, "biome.json"), JSON.stringify(settings));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return promisify(execFile)(process.execPath, [biome, "check", "sdk"], { cwd: dir }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? 1,
      output: `${error.stdout ?? ""}${error.stderr ?? ""}`,
    }),
  );
}

describe("the lint's scope", () => {
  it("skips the bundled copy of a tool's config, and still checks a file like it", async () => {
    const unformatted = "var  x=1\nexport default x\n";
    const formatted = { "sdk/index.mjs": "export default 1;\n" };
    const bundled = await lint({ ...formatted, "sdk/tsup.config.bundled_7f3a.mjs": unformatted });
    expect(bundled.output).toContain("Checked 1 file");
    expect(bundled.code).toBe(0);
    const other = await lint({ ...formatted, "sdk/tsup.config.mjs": unformatted });
    expect(other.code).not.toBe(0);
    expect(other.output).toContain("tsup.config.mjs");
  });
});
