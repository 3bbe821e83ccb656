import { spawn } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SharedPglite, startSharedPglite } from "../access-http/shared-pglite";
import { freePort, startPrivateRedis } from "../online/redis-harness";
import { rapfsArgs } from "../support/rapfs-command";

type Run = { code: number | null; stdout: string; stderr: string };

function rapfs(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, rapfsArgs(...args), {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "silent", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `rapfs materialize` whose copy into Redis fails after the runs committed: the operator is told
 * the runs are committed and what a second run would do, so a retry on exit 1 does not rebuild
 * every view for a copy the servers make themselves. Before, it said only that Redis was not
 * reachable.
 */
describe("rapfs materialize with a Redis it cannot copy into", () => {
  let pg: SharedPglite;
  beforeAll(async () => {
    pg = await startSharedPglite();
    for (const step of ["migrate", "apply"]) {
      const run = await rapfs([step], { DATABASE_URL: pg.url });
      expect(run.code, run.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it("says the runs are committed, and that a plain rerun only copies what is missing", async () => {
    const redisUrl = `redis://127.0.0.1:${await freePort()}`;
    const run = await rapfs(["materialize"], { DATABASE_URL: pg.url, REDIS_URL: redisUrl });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/track_profile@1: /);
    expect(run.stderr).toMatch(
      /the materialization above is committed, but copying it into the online store \(Redis\) failed \(.*not reachable/,
    );
    expect(run.stderr).toMatch(/`rapfs materialize` again without --full copies what is missing/);
  });

  it("fails on a Redis that refuses the copy (out of memory), naming its error", async () => {
    const redis = await startPrivateRedis();
    const admin = new Redis(redis.url);
    try {
      await admin.config("SET", "maxmemory-policy", "noeviction");
      await admin.config("SET", "maxmemory", "1");
      const run = await rapfs(["materialize"], { DATABASE_URL: pg.url, REDIS_URL: redis.url });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/the materialization above is committed, but copying it .* failed \(.*OOM/);
    } finally {
      admin.disconnect();
      await redis.kill();
    }
  });
});
