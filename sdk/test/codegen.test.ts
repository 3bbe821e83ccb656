import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/consumer/", import.meta.url));
const tsc = join(repo, "node_modules/typescript/bin/tsc");
let work: string;

/** Type-checks `files` of the fixture together with the generated rapfs.d.ts. */
async function typecheck(...files: string[]): Promise<{ ok: boolean; output: string }> {
  const config = join(work, `tsconfig.${files.join("-")}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(fixture, "tsconfig.json"),
      files: [...files.map((f) => join(work, f)), join(work, "rapfs.d.ts")],
    }),
  );
  try {
    const { stdout } = await run(process.execPath, [tsc, "-p", config, "--pretty", "false"], { cwd: work });
    return { ok: true, output: stdout };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "rapfs-codegen-"));
  for (const file of ["consumer.ts", "misspelled.ts"]) copyFileSync(join(fixture, file), join(work, file));
  // The real command, over the shipped definitions.
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", "server/src/cli/main.ts", "codegen", "--out", join(work, "rapfs.d.ts")],
    { cwd: repo, env: { ...process.env, RAPFS_DEFINITIONS_DIR: join(repo, "feature-definitions") } },
  );
  expect(stdout).toMatch(/^Wrote .*rapfs\.d\.ts: 2 entities, \d+ features, \d+ services\.$/m);
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("rapfs codegen", () => {
  it("augments RapFSRegistry with entities, every served feature with its type, services and embeddings", () => {
    const dts = readFileSync(join(work, "rapfs.d.ts"), "utf8");
    expect(dts).toContain("declare global {\n  interface RapFSRegistry {");
    expect(dts).toContain('"artist": { id: string };');
    expect(dts).toContain('"qwen_analysis@2:themes": string[];');
    expect(dts).toContain('"qwen_analysis:mood": "qwen_analysis@2:mood";');
    expect(dts).toMatch(
      /@deprecated qwen_analysis@1 is deprecated\. \*\/\n\s+"qwen_analysis@1:sentiment": string;/,
    );
    expect(dts).toMatch(/"hit_predictor": \{ entity: "track"; features: "track_profile@1:title_length" \| /);
    // A track reaches artist views through its artist relation, with or without naming it.
    expect(dts).toContain('"artist.artist_stats@1:avg_quality": number;');
    expect(dts).toContain('"artist_stats:avg_quality": "artist.artist_stats@1:avg_quality";');
    expect(dts).toContain('"artist.artist_stats@1:avg_quality": "artist.artist_stats@1:avg_quality";');
  });

  it("makes a consumer compile with typed values (and its @ts-expect-error lines hold)", {
    timeout: 60_000,
  }, async () => {
    const result = await typecheck("consumer.ts");
    expect(result.output).toBe("");
    expect(result.ok).toBe(true);
  });

  it("makes a misspelled feature a compile error that names the right one", { timeout: 60_000 }, async () => {
    const result = await typecheck("misspelled.ts");
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(
      /misspelled\.ts\(4,\d+\): error TS2820: Type '"qwen_analysis:sentimnet"' is not assignable to type .*Did you mean '"qwen_analysis:sentiment"'\?/,
    );
    expect(result.output.trim().split("\n")).toHaveLength(1);
  });
});
