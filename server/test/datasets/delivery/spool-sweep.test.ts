import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDatasetConfig } from "../../../src/datasets/config";
import { createDatasetServices } from "../../../src/datasets/dataset-services";
import { spoolDirPrefix, sweepSpools } from "../../../src/datasets/delivery/spool-sweep";

const parent = mkdtempSync(join(tmpdir(), "rapfs-sweep-test-"));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** The pid of a process that was SIGKILLed, as a crashed server's is. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  const pid = child.pid as number;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
  return pid;
}

function spoolOf(name: string, ageMs = 0): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "0b7e-download"), "track_id,mood\n1,happy\n");
  const at = new Date(Date.now() - ageMs);
  utimesSync(join(dir, "0b7e-download"), at, at);
  utimesSync(dir, at, at);
  return name;
}

describe("spools no live process owns", () => {
  it("are removed: a SIGKILLed process's at once, anyone's by age; a live one's never", async () => {
    const crashed = spoolOf(`${spoolDirPrefix(await deadPid())}abc123`);
    const mine = spoolOf(`${spoolDirPrefix()}def456`);
    const otherHostFresh = spoolOf(`${spoolDirPrefix(1, "elsewhere")}ghi789`);
    const otherHostOld = spoolOf(`${spoolDirPrefix(1, "elsewhere")}jkl012`, 3 * 3_600_000);
    const legacyOld = spoolOf("rapfs-spool-Xy12Ab", 3 * 3_600_000);
    const unrelated = spoolOf("not-a-spool", 3 * 3_600_000);

    const { removed } = await sweepSpools(parent, 2 * 3_600_000);
    expect(removed.sort()).toEqual([crashed, otherHostOld, legacyOld].sort());
    expect((await readdir(parent)).sort()).toEqual([mine, otherHostFresh, unrelated].sort());
  });

  it("this process's own is kept however old, while one an earlier process with its pid left is removed", async () => {
    // As in a container, where node is pid 1 in every run: the earlier run's spool has our name.
    const startedAt = Date.now() - 30_000;
    const earlier = spoolOf(`${spoolDirPrefix()}pid1ab`, 60_000);
    const mine = spoolOf(`${spoolDirPrefix()}pid1cd`);
    const tenHoursLater = Date.now() + 10 * 3_600_000;
    const { removed, kept } = await sweepSpools(parent, 2 * 3_600_000, tenHoursLater, hostname(), startedAt);
    expect(removed).toContain(earlier);
    expect(kept).toContain(mine);
    expect(await readdir(parent)).toContain(mine);
  });

  it("are swept when the datasets services start, as rapfs start does", async () => {
    const crashed = spoolOf(`${spoolDirPrefix(await deadPid())}mno345`);
    const datasets = createDatasetServices({ config: loadDatasetConfig({ RAPFS_SPOOL_DIR: parent }) });
    try {
      const deadline = Date.now() + 5_000;
      while ((await readdir(parent)).includes(crashed) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await readdir(parent)).not.toContain(crashed);
      // This process's own spool is named so the next sweep knows it is alive.
      expect(datasets.spool.dir.split("/").at(-1)?.startsWith(spoolDirPrefix())).toBe(true);
    } finally {
      await datasets.close();
    }
  });
});
