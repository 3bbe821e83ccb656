import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readdir, readlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/config-error";
import { loadDatasetConfig } from "../../../src/datasets/config";
import { createDatasetServices } from "../../../src/datasets/dataset-services";
import { Spool } from "../../../src/datasets/delivery/spool";
import { DomainError } from "../../../src/errors";
import { parseTimestamp } from "../../../src/values/timestamps";

const parent = mkdtempSync(join(tmpdir(), "rapfs-spool-faults-"));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe("a spool directory that is missing or unwritable", () => {
  it("is refused at start with the variable named, and made when only missing", async () => {
    // Under a regular file: no user, root included, can make a directory there.
    const file = join(parent, "a-file");
    writeFileSync(file, "");
    const under = join(file, "spool");
    expect(() => createDatasetServices({ config: loadDatasetConfig({ RAPFS_SPOOL_DIR: under }) })).toThrow(
      ConfigError,
    );
    expect(() => createDatasetServices({ config: loadDatasetConfig({ RAPFS_SPOOL_DIR: under }) })).toThrow(
      `RAPFS_SPOOL_DIR ${under} cannot hold downloads`,
    );
    const missing = join(parent, "made", "on", "start");
    const datasets = createDatasetServices({ config: loadDatasetConfig({ RAPFS_SPOOL_DIR: missing }) });
    await datasets.close();
  });

  it("gives every download slot back when its directory fails, so downloads work once it is there again", async () => {
    const dir = join(parent, "removed");
    mkdirSync(dir);
    const spool = new Spool({ parentDir: dir, ttlSeconds: 60, maxRunning: 2 });
    rmSync(dir, { recursive: true });
    const run = async (
      write: (chunk: Uint8Array) => Promise<void>,
      started: (etag: string, v: number) => void,
    ) => {
      started("etag", 1);
      await write(new Uint8Array([1]));
    };
    // More failures than slots: before, each kept its slot, and then every download was 503.
    for (let i = 0; i < 5; i++) expect(() => spool.open(`f${i}`, run)).toThrow(/ENOENT/);
    mkdirSync(dir);
    const { started } = spool.open("after", run);
    expect(await started).toBe(1);
    await spool.close();
  });
});

describe("RAPFS_SPOOL_MAX_BYTES", () => {
  const write =
    (bytes: number) =>
    async (put: (chunk: Uint8Array) => Promise<void>, started: (etag: string, v: number) => void) => {
      started("etag", 1);
      await put(new Uint8Array(bytes));
    };

  it("makes room by evicting the least recently used kept file nobody reads, not by refusing", async () => {
    const dir = join(parent, "evicting");
    mkdirSync(dir);
    const spool = new Spool({ parentDir: dir, ttlSeconds: 3_600, maxRunning: 4, maxBytes: 1_000 });
    const a = spool.open("a", write(600));
    await spool.settled(a.job);
    const b = spool.open("b", write(600));
    await spool.settled(b.job);
    await spool.check(); // full of idle files: still ready, they can go
    expect(spool.open("a", write(600)).job).toBe(a.job); // a asked for again: b is now the older
    const c = spool.open("c", write(10));
    await spool.settled(c.job);
    expect(spool.resumable("b")).toBeUndefined();
    expect(spool.resumable("a")).toBe(a.job);
    expect(spool.bytes).toBe(610);
    await spool.close();
  });

  it("keeps the newest file of a shared download outside the bound, and lets an older version of it go", async () => {
    const dir = join(parent, "shared");
    mkdirSync(dir);
    const spool = new Spool({ parentDir: dir, ttlSeconds: 3_600, maxRunning: 4, maxBytes: 1_000 });
    const whole = spool.open("public@v1", write(5_000), { sharedAs: "public" });
    await spool.settled(whole.job);
    await spool.check(); // over the bound by itself, yet under it: it does not count
    for (const key of ["own-1", "own-2", "own-3"]) await spool.settled(spool.open(key, write(600)).job);
    expect(spool.resumable("public@v1")).toBe(whole.job);
    expect(spool.resumable("own-1")).toBeUndefined(); // callers' files made room for each other
    // A newer version of the shared file: the older one is an ordinary kept file now, the first to go.
    const newer = spool.open("public@v2", write(5_000), { sharedAs: "public" });
    await spool.settled(newer.job);
    await spool.settled(spool.open("own-4", write(600)).job);
    expect(spool.resumable("public@v1")).toBeUndefined();
    expect(spool.resumable("public@v2")).toBe(newer.job);
    expect(spool.resumable("own-4")).toBeDefined();
    await spool.close();
  });

  it("refuses a new download with 503 and Retry-After while files being read fill it, and /ready says so", async () => {
    const dir = join(parent, "bounded");
    mkdirSync(dir);
    const spool = new Spool({ parentDir: dir, ttlSeconds: 60, maxRunning: 4, maxBytes: 1_000 });
    const first = spool.open("a", write(600));
    await spool.settled(first.job);
    const second = spool.open("b", write(600));
    await spool.settled(second.job);
    const readers = [spool.read(first.job).getReader(), spool.read(second.job).getReader()];
    let refused: unknown;
    try {
      spool.open("c", write(10));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DomainError);
    const problem = refused as DomainError;
    expect(problem.status).toBe(503);
    expect(Number(problem.headers["Retry-After"])).toBeGreaterThan(0);
    expect(Number(problem.headers["Retry-After"])).toBeLessThanOrEqual(60);
    // A file already kept is still served (no new bytes).
    expect(spool.open("a", write(600)).job).toBe(first.job);
    await expect(spool.check()).rejects.toThrow(/spool is full/);
    // Once its readers are done, a file can make room.
    for (const reader of readers) await reader.cancel();
    const third = spool.open("c", write(10));
    await spool.settled(third.job);
    await spool.check();
    await spool.close();
  });

  it("is read from the environment, 0 (no bound) by default", () => {
    expect(loadDatasetConfig({}).spoolMaxBytes).toBe(0);
    expect(loadDatasetConfig({ RAPFS_SPOOL_MAX_BYTES: "1073741824" }).spoolMaxBytes).toBe(1_073_741_824);
  });

  it("/ready's spool check fails when the directory takes no file", async () => {
    const dir = join(parent, "gone");
    mkdirSync(dir);
    const spool = new Spool({ parentDir: dir, ttlSeconds: 60, maxRunning: 1 });
    await spool.check();
    rmSync(dir, { recursive: true });
    await expect(spool.check()).rejects.toThrow(/ENOENT/);
  });
});

describe("timestamps PostgreSQL cannot take", () => {
  it("refuses year 0 (as_of=0000-01-01 answered 500 after a card was charged)", () => {
    expect(parseTimestamp("0000-01-01T00:00:00Z")).toBeUndefined();
    expect(parseTimestamp("0001-01-01T00:00:00Z")).toBe(-62_135_596_800_000_000);
  });
});

describe("a reader that leaves", () => {
  /** This process's open descriptors on `path`. */
  const descriptorsOn = async (path: string) => {
    const fds = await readdir("/proc/self/fd");
    const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")));
    return targets.filter((target) => target === path).length;
  };

  it.runIf(process.platform === "linux")(
    "closes the file it was opening when it is cancelled meanwhile",
    async () => {
      const spool = new Spool({ parentDir: parent, ttlSeconds: 60, maxRunning: 2 });
      const { job, started } = spool.open("left", async (put, start) => {
        start("etag", 1);
        await put(new Uint8Array(1024));
      });
      await started;
      await spool.settled(job);
      const path = join(spool.dir, job.id);
      for (let i = 0; i < 20; i++) {
        const reader = spool.read(job).getReader();
        const reading = reader.read();
        // A few microtasks: the pull has begun and is waiting for the file to open.
        for (let turn = 0; turn < 5; turn++) await Promise.resolve();
        await reader.cancel();
        await reading;
      }
      // An open left running by the cancel lands within this; before, its descriptor stayed until GC.
      await delay(300);
      expect(await descriptorsOn(path)).toBe(0);
      await spool.close();
    },
  );
});
