import { ReplyError } from "ioredis";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/log/logger";
import { isRefusal } from "../../../src/online/circuit-breaker";
import type { SyncResult } from "../../../src/serving/online-sync/sync";
import { UnsyncedViews } from "../../../src/serving/online-sync/unsynced-views";

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
const result = (mode: SyncResult["mode"], extra: Partial<SyncResult> = {}): SyncResult => ({
  viewKey: "v@1",
  mode,
  rows: 0,
  runId: 7,
  ...extra,
});

describe("UnsyncedViews", () => {
  function tracker() {
    const logs: { level: string; msg: string }[] = [];
    let changes = 0;
    let now = 1_000;
    const views = new UnsyncedViews(
      createLogger("info", {}, (line) => logs.push(JSON.parse(line))),
      () => changes++,
      () => now,
    );
    return { views, logs, changes: () => changes, advance: (ms: number) => (now += ms) };
  }

  it("marks a view Redis refused, once per error, and clears it when a sync writes it or finds it sealed", () => {
    const t = tracker();
    t.views.record([result("failed", { error: OOM, refused: true }), result("skipped", { viewKey: "w@1" })]);
    expect(t.views.has("v@1")).toBe(true);
    expect(t.views.has("w@1")).toBe(false);
    t.advance(12_000);
    t.views.record([result("failed", { error: OOM, refused: true })]);
    expect(t.views.describe()).toEqual([`v@1 (for 12 s): ${OOM}`]);
    expect(t.logs.filter((l) => l.level === "warn")).toHaveLength(1);
    expect(t.changes()).toBe(1);

    // Left to another process, or failed for want of an answer: nothing known either way.
    t.views.record([result("held"), result("failed", { error: "Connection is closed.", refused: false })]);
    expect(t.views.has("v@1")).toBe(true);

    t.views.record([result("skipped")]);
    expect(t.views.has("v@1")).toBe(false);
    expect(t.views.size).toBe(0);
    expect(t.logs.at(-1)).toMatchObject({ level: "info", view: "v@1" });
    expect(t.changes()).toBe(2);
  });

  it("does not mark a view whose master did not answer: its circuit already sends its reads to Postgres", () => {
    const t = tracker();
    t.views.record([result("failed", { error: "the Redis masters that lack its rows do not answer" })]);
    expect(t.views.size).toBe(0);
    expect(t.logs).toEqual([]);
  });

  it("clears a view a whole check no longer lists (retired since it was marked)", () => {
    const t = tracker();
    t.views.record([result("failed", { error: OOM, refused: true })]);
    t.views.record([result("skipped", { viewKey: "w@1" })]);
    expect(t.views.has("v@1")).toBe(true);
    t.views.record([result("skipped", { viewKey: "w@1" })], { whole: true });
    expect(t.views.size).toBe(0);
  });
});

describe("isRefusal", () => {
  it("is Redis declining to write, not a slot moving or a node away", () => {
    for (const message of [
      OOM,
      "READONLY You can't write against a read only replica.",
      "MISCONF Redis is configured to save RDB snapshots",
      "ERR Error running script (call to f_x): @user_script:1: OOM command not allowed",
    ])
      expect(isRefusal(new ReplyError(message)), message).toBe(true);
    for (const message of [
      "MOVED 3999 127.0.0.1:6381",
      "ASK 3999 127.0.0.1:6381",
      "CLUSTERDOWN The cluster is down",
      "LOADING Redis is loading",
    ])
      expect(isRefusal(new ReplyError(message)), message).toBe(false);
    expect(isRefusal(new Error("Connection is closed."))).toBe(false);
  });
});
