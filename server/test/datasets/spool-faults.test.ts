import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/read-env";
import { loadDatasetConfig } from "../../src/datasets/config";
import { createDatasetServices } from "../../src/datasets/dataset-services";
import { Spool } from "../../src/datasets/spool";
import { parseTimestamp } from "../../src/datasets/timestamps";

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

describe("timestamps PostgreSQL cannot take", () => {
  it("refuses year 0 (as_of=0000-01-01 answered 500 after a card was charged)", () => {
    expect(parseTimestamp("0000-01-01T00:00:00Z")).toBeUndefined();
    expect(parseTimestamp("0001-01-01T00:00:00Z")).toBe(-62_135_596_800_000_000);
  });
});
