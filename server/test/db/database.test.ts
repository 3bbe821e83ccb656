import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/config/paths";
import { DataDirLockedError, lockDataDir } from "../../src/db/data-dir-lock";
import { DatabaseSetupError, openDatabase } from "../../src/db/database";
import { type Logger, silentLogger } from "../../src/log/logger";
import { SERVER_POSTGRES_URL } from "../support/databases";
import { rapfsArgs } from "../support/rapfs-command";
import { startTcpProxy } from "../support/tcp-proxy";

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, rapfsArgs(...args), {
      cwd: join(repoRoot, "server"),
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("embedded database on a data directory", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "rapfs-data-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("persists across restarts; a second process works through the first one's database", async () => {
    const first = await openDatabase({ dataDir });
    await first.sql`create table kept (value text)`;
    await first.sql`insert into kept values ('still here')`;

    const second = await runCli(["migrate"], { RAPFS_DATA_DIR: dataDir, DATABASE_URL: "" });
    expect(second.stderr).toMatch(
      new RegExp(
        `in use by the server of process ${process.pid}; working through its database at postgres://postgres@127\\.0\\.0\\.1:\\d+/postgres`,
      ),
    );
    expect(second.code).toBe(0);
    // The migrations went into the first process's database.
    expect(await first.sql`select to_regclass('rapfs_definitions_checked') is not null as migrated`).toEqual([
      { migrated: true },
    ]);

    await first.close();
    const reopened = await openDatabase({ dataDir });
    expect(await reopened.sql`select value from kept`).toEqual([{ value: "still here" }]);
    await reopened.close();
  });

  it("refuses a second process while the first has not published its database's port", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rapfs-starting-"));
    await writeFile(join(dir, "rapfs.lock"), JSON.stringify({ pid: process.pid, startedAt: "now" }));
    const second = await runCli(["migrate"], { RAPFS_DATA_DIR: dir, DATABASE_URL: "" });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`is in use by process ${process.pid}`);
    await rm(dir, { recursive: true, force: true });
  });

  it("takes over a lock left by a process that no longer runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rapfs-stale-"));
    await writeFile(join(dir, "rapfs.lock"), JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: "then" }));
    const unlock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).not.toThrow(DataDirLockedError); // same process may reopen
    unlock();
    await rm(dir, { recursive: true, force: true });
  });
});

describe("server database", () => {
  it("refuses a PostgreSQL without pgvector, saying what to do", async () => {
    const attempt = openDatabase({ databaseUrl: SERVER_POSTGRES_URL, dataDir: "unused" });
    await expect(attempt).rejects.toThrow(DatabaseSetupError);
    await expect(openDatabase({ databaseUrl: SERVER_POSTGRES_URL, dataDir: "unused" })).rejects.toThrow(
      /no pgvector extension.*unset DATABASE_URL/,
    );
    // It was reached, and nothing was retried: the message says neither otherwise.
    const message = await openDatabase({ databaseUrl: SERVER_POSTGRES_URL, dataDir: "unused" }).catch(
      (error: Error) => error.message,
    );
    expect(message).toMatch(/^The database at DATABASE_URL cannot be used: /);
    expect(message).not.toMatch(/Cannot reach|retried/);
  });

  it("reports an unreachable server clearly, after retrying for as long as it is told", async () => {
    const said: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => said.push(message) } as Logger;
    await expect(
      openDatabase({
        databaseUrl: "postgres://postgres@127.0.0.1:1/none",
        dataDir: "unused",
        connectWaitMs: 1_000,
        logger,
      }),
    ).rejects.toThrow(/Cannot reach the database at DATABASE_URL \(retried for 1 s\)/);
    // It retried (and said so) before giving up, rather than failing on the first refusal.
    expect(said.filter((m) => m === "database not reachable yet; retrying").length).toBeGreaterThanOrEqual(1);
  });

  it("waits for a database that is not up yet, retrying with backoff and saying so", async () => {
    const proxy = await startTcpProxy(Number(new URL(SERVER_POSTGRES_URL).port || 5432));
    await proxy.cut();
    const url = new URL(SERVER_POSTGRES_URL);
    url.port = String(proxy.port);
    const said: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => said.push(message) } as Logger;
    const opening = openDatabase({
      databaseUrl: url.toString(),
      dataDir: "unused",
      logger,
      requireVector: false,
    });
    setTimeout(() => void proxy.restore(), 1_500);
    const db = await opening;
    try {
      expect((await db.sql`select 1 as one`)[0]?.one).toBe(1);
      expect(said.filter((m) => m === "database not reachable yet; retrying").length).toBeGreaterThanOrEqual(
        2,
      );
    } finally {
      await db.close();
      await proxy.stop();
    }
  });
});
