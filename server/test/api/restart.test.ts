import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noProgress } from "../../src/log/progress";
import { type RunningServer, startServer } from "../../src/runtime/start-server";
import { capturingLogger, testConfig } from "./harness";

/** Two starts on one data directory: the second reuses everything the first built. */
describe("a restart reloads nothing", () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "rapfs-restart-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const { logger, lines } = capturingLogger();
    const config = { ...testConfig(), dataDir, host: "127.0.0.1", port: 0, corpus: { scale: 0.01, seed: 5 } };
    const running: RunningServer = await startServer({
      config,
      logger,
      handleSignals: false,
      progress: noProgress,
    });
    await running.prepared;
    await running.services.serving.embeddings.warm();
    return { running, lines };
  };
  const loads = (lines: { msg?: string }[]) =>
    lines.filter((l) => l.msg === "embedding loaded for in-memory search") as unknown as {
      embedding: string;
      from: string;
    }[];

  it("maps the search vectors from the data directory and catches up the views after /ready", async () => {
    const first = await start();
    try {
      expect(loads(first.lines).map((l) => l.from)).toEqual(["database", "database", "database"]);
      expect((await readdir(join(dataDir, "vectors"))).sort()).toEqual([
        "analysis@1.vectors",
        "audio@1.vectors",
        "lyrics@1.vectors",
      ]);
      // What a crash now would replay: the WAL since the checkpoint taken once the data was ready.
      const [wal] = await first.running.services.sql<{ behind: number; written: number }[]>`
        select (pg_current_wal_lsn() - redo_lsn)::float8 as behind,
          (pg_current_wal_lsn() - '0/0')::float8 as written
        from pg_control_checkpoint()`;
      expect(first.lines.some((l) => l.msg === "checkpoint")).toBe(true);
      expect(wal?.behind).toBeLessThan(1 << 20);
      expect(wal?.written).toBeGreaterThan(8 << 20);
    } finally {
      await first.running.shutdown("test done");
    }

    const second = await start();
    try {
      expect(loads(second.lines).map((l) => l.from)).toEqual(["file", "file", "file"]);
      expect(second.running.services.serving.embeddings.inMemory.sort()).toEqual([
        "analysis@1",
        "audio@1",
        "lyrics@1",
      ]);
      const messages = second.lines.map((l) => l.msg);
      // Ready before the incremental runs of views built by the first start, not after them.
      expect(messages.indexOf("data ready")).toBeLessThan(messages.indexOf("feature views caught up"));
      expect(messages).not.toContain("first start: generating the demo corpus");
    } finally {
      await second.running.shutdown("test done");
    }
  });
});
