import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SharedPglite, startSharedPglite } from "../access-http/shared-pglite";
import { freePort, startPrivateRedis } from "../online/redis-harness";
import { runRapfs } from "../support/rapfs-command";

const rapfs = (args: string[], env: Record<string, string>) =>
  runRapfs(args, { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "silent", ...env });

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
