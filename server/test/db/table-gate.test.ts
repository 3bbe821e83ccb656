import { describe, expect, it } from "vitest";
import { TableGate } from "../../src/db/table-gate";
import { deferred } from "../support/deferred";

describe("TableGate", () => {
  it("a run waits for the readers of its table, and readers that come meanwhile wait for the run", async () => {
    const gate = new TableGate();
    const order: string[] = [];
    const firstRead = deferred();
    const reading = gate.read(["v1"], async () => {
      order.push("read 1 starts");
      await firstRead.promise;
      order.push("read 1 ends");
    });
    const writing = gate.write("v1", 60_000, async (turn) => {
      order.push(`run (readers left ${turn.readersLeft})`);
    });
    await Promise.resolve();
    expect(gate.writing("v1")).toBe(true);
    const later = gate.read(["v1", "v2"], async () => void order.push("read 2"));
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(["read 1 starts"]);
    firstRead.resolve();
    await Promise.all([reading, writing, later]);
    expect(order).toEqual(["read 1 starts", "read 1 ends", "run (readers left 0)", "read 2"]);
    expect(gate.readers("v1")).toBe(0);
    expect(gate.writing("v1")).toBe(false);
  });

  it("a run stops waiting after its bound, so a reader cannot hold a table back for longer", async () => {
    const gate = new TableGate();
    const endless = deferred();
    const reading = gate.read(["v1"], () => endless.promise);
    const started = performance.now();
    const turn = await gate.write("v1", 50, async (t) => t);
    expect(turn.readersLeft).toBe(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    endless.resolve();
    await reading;
  });

  it("readers and runs of other tables do not wait for each other", async () => {
    const gate = new TableGate();
    const endless = deferred();
    const reading = gate.read(["v1"], () => endless.promise);
    expect((await gate.write("v2", 60_000, async (t) => t)).waitedMs).toBeLessThan(50);
    await gate.read(["v2", "v3"], async () => {});
    endless.resolve();
    await reading;
  });

  it("runs of one table take turns, and a reader waiting for one gives up when its caller goes away", async () => {
    const gate = new TableGate();
    const firstRun = deferred();
    const runs: number[] = [];
    const one = gate.write("v1", 0, async () => {
      await firstRun.promise;
      runs.push(1);
    });
    const two = gate.write("v1", 0, async () => void runs.push(2));
    const abort = new AbortController();
    const waiting = gate.read(["v1"], async () => "read", abort.signal);
    abort.abort(new Error("client went away"));
    await expect(waiting).rejects.toThrow("client went away");
    firstRun.resolve();
    await Promise.all([one, two]);
    expect(runs).toEqual([1, 2]);
    expect(await gate.read(["v1"], async () => "read")).toBe("read");
  });

  it("a failed read or run leaves the gate open", async () => {
    const gate = new TableGate();
    await expect(gate.read(["v1"], async () => Promise.reject(new Error("read failed")))).rejects.toThrow();
    await expect(gate.write("v1", 0, async () => Promise.reject(new Error("run failed")))).rejects.toThrow();
    expect(gate.readers("v1")).toBe(0);
    expect(gate.writing("v1")).toBe(false);
    expect((await gate.write("v1", 60_000, async (t) => t)).waitedMs).toBeLessThan(50);
  });
});
