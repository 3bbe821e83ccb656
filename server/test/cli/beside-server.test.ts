import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../src/db/embedded";
import { embeddedDataDir } from "../support/databases";
import { type RapfsRun, runRapfs } from "../support/rapfs-command";

/** `rapfs <args>` in `cwd`, with neither DATABASE_URL nor RAPFS_DATA_DIR unless `env` sets them. */
function rapfs(args: string[], cwd: string, env: Record<string, string> = {}): Promise<RapfsRun> {
  const { DATABASE_URL: _url, RAPFS_DATA_DIR: _dir, ...inherited } = process.env;
  return runRapfs(args, { ...inherited, LOG_LEVEL: "silent", ...env }, cwd);
}

describe("the CLI beside a running embedded server (#27, item 8)", () => {
  let dataDir: string;
  let elsewhere: string;
  let server: EmbeddedPostgres;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "rapfs-running-"));
    elsewhere = await mkdtemp(join(tmpdir(), "rapfs-elsewhere-"));
    // What `rapfs start` holds: the data directory's lock and its database's loopback port.
    server = await startEmbeddedPostgres(dataDir, 0, await embeddedDataDir());
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(elsewhere, { recursive: true, force: true });
  });

  it("works through the server's database, saying so", async () => {
    const run = await rapfs(["apply"], elsewhere, { RAPFS_DATA_DIR: dataDir });
    expect(run.stderr).toContain(`working through its database at ${server.url}`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Applied.");
    expect(await readdir(elsewhere)).toEqual([]);
    const plan = await rapfs(["plan"], elsewhere, { RAPFS_DATA_DIR: dataDir });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("Nothing applied (plan only)");
  });

  it("`rapfs plan` in a folder without a database refuses, names the way out, and creates nothing", async () => {
    const empty = await mkdtemp(join(tmpdir(), "rapfs-empty-"));
    try {
      const run = await rapfs(["plan"], empty);
      expect(run.code).toBe(78);
      expect(run.stderr).toContain(
        `There is no rapfs database in ${join(empty, ".rapfs")} (no such directory)`,
      );
      expect(run.stderr).toContain("RAPFS_DATA_DIR");
      expect(run.stderr).toContain("rapfs start");
      expect(await readdir(empty)).toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("refuses a database that was never migrated, rather than failing on a missing table", async () => {
    const stray = await mkdtemp(join(tmpdir(), "rapfs-stray-"));
    try {
      await (await startEmbeddedPostgres(stray, 0, await embeddedDataDir({ migrate: false }))).stop();
      const run = await rapfs(["plan"], stray, { RAPFS_DATA_DIR: stray });
      expect(run.stderr).toContain(`The database in ${stray} was never set up (no migrations)`);
      expect(run.code).toBe(78);
    } finally {
      await rm(stray, { recursive: true, force: true });
    }
  });
});
