import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { applyDefinitions } from "@rapfs/server/src/registry/apply";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockMarker, type DocBlock, splitOutput, testedBlocks } from "../support/doc-blocks";
import { type LiveServer, startLive } from "./server";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const DOCS = ["docs/concepts.md", "docs/definitions.md", "docs/api.md", "docs/sdk.md", "sdk/README.md"];

let live: LiveServer;
let work: string;
beforeAll(async () => {
  live = await startLive();
  work = mkdtempSync(join(tmpdir(), "rapfs-docs-"));
}, 180_000);
afterAll(async () => {
  await live?.shutdown();
  if (work) rmSync(work, { recursive: true, force: true });
});

const env = () => ({
  ...process.env,
  RAPFS_URL: live.url,
  RAPFS_BASE_URL: live.url,
  RAPFS_API_KEY: live.adminKey,
  NO_COLOR: "1",
});

/** Runs the blocks one after another in one process, so later blocks see earlier ones' variables. */
async function runBlocks(cmd: string, args: string[], cwd: string, blocks: DocBlock[]): Promise<string[]> {
  const { stdout } = await run(cmd, args, { cwd, env: env(), timeout: 120_000, maxBuffer: 64 << 20 }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`failed after:${error.stdout?.slice(-2_000)}\n${error.stderr?.slice(-4_000)}`);
    },
  );
  return splitOutput(stdout, blocks.length);
}

function expectOutputs(doc: string, blocks: DocBlock[], outputs: string[]) {
  blocks.forEach((block, n) => {
    if (block.output !== undefined) expect(outputs[n], `${doc}:${block.line}`).toContain(block.output);
  });
}

describe.each(DOCS)("%s", (doc) => {
  const blocks = testedBlocks(join(repo, doc));
  const sh = blocks.filter((b) => b.lang === "sh");
  const ts = blocks.filter((b) => b.lang === "ts");
  const yaml = blocks.filter((b) => b.lang === "yaml");

  it("has examples marked <!-- tested -->", () => expect(blocks.length).toBeGreaterThan(0));

  if (sh.length > 0)
    it("runs its curl examples", { timeout: 120_000 }, async () => {
      const dir = join(work, doc.replace(/\W/g, "_"), "sh");
      mkdirSync(dir, { recursive: true });
      const script = sh.map((b, n) => `printf '\\n%s\\n' '${blockMarker(n)}'\n${b.code}`).join("\n");
      writeFileSync(join(dir, "examples.sh"), `set -euo pipefail\n${script}\n`);
      expectOutputs(doc, sh, await runBlocks("bash", ["examples.sh"], dir, sh));
    });

  if (ts.length > 0)
    it("type-checks and runs its TypeScript examples", { timeout: 120_000 }, async () => {
      const dir = join(work, doc.replace(/\W/g, "_"), "ts");
      mkdirSync(dir, { recursive: true });
      const fixture = fileURLToPath(new URL("../fixtures/consumer/tsconfig.json", import.meta.url));
      // The fixture's paths map @rapfs/sdk to the SDK's source, for tsc and tsx alike.
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({ extends: fixture, files: ["examples.mts"] }),
      );
      const body = ts.map((b, n) => `console.log(${JSON.stringify(blockMarker(n))});\n${b.code}`).join("\n");
      writeFileSync(join(dir, "examples.mts"), `${body}\nexport {};\n`);
      await run(
        process.execPath,
        [join(repo, "node_modules/typescript/bin/tsc"), "-p", dir, "--pretty", "false"],
        {
          cwd: dir,
        },
      ).catch((error: { stdout?: string }) => {
        throw new Error(`${doc}: the examples do not type-check:\n${error.stdout}`);
      });
      expectOutputs(doc, ts, await runBlocks(join(repo, "node_modules/.bin/tsx"), ["examples.mts"], dir, ts));
    });

  if (yaml.length > 0)
    it("has definitions that `rapfs plan` accepts beside the shipped ones", async () => {
      const dir = join(work, doc.replace(/\W/g, "_"), "definitions");
      cpSync(join(repo, "feature-definitions"), dir, { recursive: true });
      yaml.forEach((b, n) => {
        writeFileSync(join(dir, `zz_docs_${n}.yaml`), b.code);
      });
      const result = await applyDefinitions(live.services.sql, dir, { dryRun: true });
      expect(result.applied).toBe(false);
      for (const block of yaml) {
        const name = /^name: (\w+)/m.exec(block.code)?.[1];
        expect(result.text, `${doc}:${block.line}`).toContain(name);
      }
    });
});
