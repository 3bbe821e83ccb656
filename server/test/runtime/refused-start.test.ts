import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAccessConfig } from "../../src/access/config";
import { loadDatasetConfig } from "../../src/datasets/config";
import type { Database } from "../../src/db/database";
import { openReadRouter } from "../../src/db/replica";
import { createMetrics } from "../../src/metrics/registry";
import { buildServices } from "../../src/runtime/compose";
import { capturingLogger, testConfig } from "../api/harness";
import { startPrivateRedis, waitFor } from "../online/redis-harness";
import { openEmbeddedTestDatabase } from "../support/databases";

describe("a start refused after Redis was opened", () => {
  let database: Database;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  const work = mkdtempSync(join(tmpdir(), "rapfs-refused-start-"));
  beforeAll(async () => {
    [database, redis] = await Promise.all([openEmbeddedTestDatabase(), startPrivateRedis({ started: true })]);
  });
  afterAll(async () => {
    await database?.close();
    await redis?.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it("leaves no Redis connection behind: a spool directory that cannot be made", async () => {
    // The spool's parent is a file: its directory cannot be made.
    const file = join(work, "a-file");
    writeFileSync(file, "");
    const { logger } = capturingLogger();
    await expect(
      buildServices({
        config: { ...testConfig(), redisUrl: redis.url },
        logger,
        database,
        metrics: createMetrics({ defaultMetrics: false }),
        datasetConfig: { ...loadDatasetConfig({}), spoolDir: join(file, "spool") },
        accessConfig: loadAccessConfig({}),
        reads: await openReadRouter({ primary: database.sql }),
      }),
    ).rejects.toThrow();
    const admin = new Redis(redis.url);
    try {
      // Only this connection is left once the refused start's have gone.
      const others = async () =>
        String(await admin.call("client", "list"))
          .split("\n")
          .filter((c) => c.trim() !== "" && !c.includes("cmd=client|list"));
      await waitFor(async () => ((await others()).length === 0 ? true : undefined)).catch(() => {});
      expect(await others()).toEqual([]);
    } finally {
      admin.disconnect();
    }
  });
});
