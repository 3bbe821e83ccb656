import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/config/paths";
import { EMBEDDED_MAX_SCALE, embeddedScaleRefusal } from "../../src/runtime/embedded-limit";
import { rapfsArgs } from "../support/rapfs-command";

/** `rapfs start` on the embedded default (no DATABASE_URL), stopped after `limitMs` if it is still running. */
function start(env: Record<string, string>, limitMs: number) {
  const { DATABASE_URL: _url, REDIS_URL: _redis, ...inherited } = process.env;
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, rapfsArgs("start"), {
      cwd: repoRoot,
      env: { ...inherited, LOG_LEVEL: "warn", HOST: "127.0.0.1", PORT: "0", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe("the embedded default's corpus limit (#39)", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "rapfs-scale-limit-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("`rapfs start` refuses scale 10 without DATABASE_URL in one line naming the limit and the production path, creating nothing", async () => {
    const run = await start({ RAPFS_CORPUS_SCALE: "10", RAPFS_DATA_DIR: dataDir }, 60_000);
    expect(run.code).toBe(78);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `rapfs: RAPFS_CORPUS_SCALE=10 is beyond the embedded database's limit of ${EMBEDDED_MAX_SCALE} ` +
        "(115,436 tracks; past it, its exact search of every vector in process memory outgrows 10 ms): set DATABASE_URL " +
        "to PostgreSQL with pgvector (and REDIS_URL), as docs/scaling.md describes",
    );
    expect(await readdir(dataDir)).toEqual([]);
  });

  it("takes the limit itself embedded, and any scale on a server PostgreSQL", () => {
    expect(embeddedScaleRefusal(EMBEDDED_MAX_SCALE, undefined)).toBeUndefined();
    expect(embeddedScaleRefusal(EMBEDDED_MAX_SCALE + 0.01, undefined)).toContain("limit of");
    expect(embeddedScaleRefusal(10, "postgres://db.example/rapfs")).toBeUndefined();
  });
});
