import { Redis, ReplyError } from "ioredis";

import { afterAll, describe, expect, it, vi } from "vitest";
import { createLogger, silentLogger } from "../../src/log/logger";
import { CircuitBreaker, CircuitOpenError, isNodeFault } from "../../src/online/circuit-breaker";
import { loopStalls } from "../../src/online/loop-stalls";
import { RedisOnlineStore } from "../../src/online/redis-store";
import { rows } from "./fixtures";
import { startPrivateRedis } from "./redis-harness";

const client = new Redis({ lazyConnect: true });
afterAll(() => client.disconnect());

function setup() {
  const logs: { level: string; msg: string; node?: string }[] = [];
  const logger = createLogger("debug", {}, (line) => logs.push(JSON.parse(line)));
  let clock = 0;
  const changes: number[] = [];
  const breaker = new CircuitBreaker(client, {
    logger,
    cooldownMs: 1_000,
    maxCooldownMs: 4_000,
    now: () => clock,
    onChange: (open) => changes.push(open.length),
  });
  let sent = 0;
  const ok = () => breaker.run("k", async () => ++sent);
  const down = () =>
    breaker.run("k", async () => {
      sent++;
      throw new Error("Command timed out");
    });
  return { breaker, logs, changes, ok, down, sent: () => sent, advance: (ms: number) => (clock += ms) };
}

describe("CircuitBreaker", () => {
  it("fails fast while a node is down, lets one probe through per cooldown, and closes on a real answer", async () => {
    const t = setup();
    await expect(t.down()).rejects.toThrow("Command timed out");
    expect(t.breaker.open).toEqual([{ node: "redis", since: 0, lastError: "Command timed out" }]);
    // Open: nothing reaches the node.
    await expect(t.ok()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(t.sent()).toBe(1);
    expect(t.breaker.isOpen("k")).toBe(true);

    t.advance(1_000);
    expect(t.breaker.isOpen("k")).toBe(false);
    // The probe fails: the cooldown doubles.
    await expect(t.down()).rejects.toThrow("Command timed out");
    expect(t.sent()).toBe(2);
    t.advance(1_999);
    await expect(t.ok()).rejects.toBeInstanceOf(CircuitOpenError);
    t.advance(1);
    expect(await t.ok()).toBe(3);
    expect(t.breaker.open).toEqual([]);
    expect(t.logs.map((l) => [l.level, l.msg])).toEqual([
      ["warn", "redis node unavailable; its commands fail fast until a probe answers"],
      ["info", "redis node answers again"],
    ]);
    expect(t.changes).toEqual([1, 0]);
  });

  it("admits a single probe at a time: concurrent commands still fail fast", async () => {
    const t = setup();
    await expect(t.down()).rejects.toThrow();
    t.advance(1_000);
    let answer: (value: number) => void = () => {};
    const probe = t.breaker.run("k", () => new Promise<number>((resolve) => (answer = resolve)));
    await expect(t.ok()).rejects.toBeInstanceOf(CircuitOpenError);
    answer(7);
    expect(await probe).toBe(7);
    expect(await t.ok()).toBeGreaterThan(0);
  });

  it("backs off up to the maximum, and failures of commands sent before the circuit opened do not", async () => {
    const t = setup();
    await Promise.allSettled([t.down(), t.down(), t.down()]);
    expect(t.breaker.isOpen("k")).toBe(true);
    t.advance(1_000);
    expect(t.breaker.isOpen("k")).toBe(false);
    for (const wait of [2_000, 4_000, 4_000]) {
      await expect(t.down()).rejects.toThrow();
      t.advance(wait - 1);
      expect(t.breaker.isOpen("k")).toBe(true);
      t.advance(1);
    }
  });

  it("tells a node's faults from a command's own errors", () => {
    expect(isNodeFault(new Error("Connection is closed."))).toBe(true);
    expect(isNodeFault(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(
      true,
    );
    expect(isNodeFault(new ReplyError("CLUSTERDOWN The cluster is down"))).toBe(true);
    expect(isNodeFault(new ReplyError("LOADING Redis is loading the dataset in memory"))).toBe(true);
    expect(
      isNodeFault(new ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value")),
    ).toBe(false);
    expect(isNodeFault(new CircuitOpenError("redis"))).toBe(false);
    // A rate limiter's refusal is an answer.
    expect(isNodeFault({ remainingPoints: 0 })).toBe(false);
    // A bug (ioredis: "pipeline[functionName] is not a function") says nothing of the node.
    expect(isNodeFault(new TypeError("pipeline[functionName] is not a function"))).toBe(false);
    expect(isNodeFault(new RangeError("Maximum call stack size exceeded"))).toBe(false);
  });

  it("keeps a circuit open when the command itself errs (the node answered)", async () => {
    const t = setup();
    await expect(
      t.breaker.run("k", async () => {
        throw new ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value");
      }),
    ).rejects.toThrow("WRONGTYPE");
    expect(t.breaker.open).toEqual([]);
  });
});

describe("a command that timed out because this process was blocked", () => {
  it("opens no circuit when the process's own event loop held the reply, and one when the node was silent", async () => {
    const redis = await startPrivateRedis();
    const fast = new Redis({ port: redis.port, commandTimeout: 100 });
    const breaker = new CircuitBreaker(fast, { logger: silentLogger });
    const pauser = new Redis({ port: redis.port });
    const patient = new Redis({ port: redis.port, commandTimeout: 500 });
    const patientBreaker = new CircuitBreaker(patient, { logger: silentLogger });
    try {
      // Only the blocked command goes on the 100 ms client: on a loaded machine any other may time out.
      if (fast.status !== "ready") await new Promise((resolve) => fast.once("ready", resolve));
      expect(loopStalls.total).toBeGreaterThanOrEqual(0);
      await new Promise((resolve) => setTimeout(resolve, 60));
      // Blocked right after sending, from a reply's callback: the next turn of the loop runs its
      // due timers, the command's timeout among them, before it reads the reply in the socket.
      expect(await patient.ping()).toBe("PONG");
      const blocked = breaker.run("k", () => fast.get("rapfs-stall-test"));
      // The thread held 600 ms, as in a long GC pause or a start on a loaded machine.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
      await expect(blocked).rejects.toThrow("Command timed out");
      expect(breaker.open).toEqual([]);

      // The node silent while this process is free: the same timeout is the node's. Up to three
      // tries: on a loaded machine the OS may stop this process across one deadline too.
      for (let i = 0; i < 3 && patientBreaker.open.length === 0; i++) {
        expect(await patient.ping()).toBe("PONG");
        await pauser.client("PAUSE", 1_000, "ALL");
        await expect(patientBreaker.run("k", () => patient.get("rapfs-stall-test"))).rejects.toThrow(
          "Command timed out",
        );
        await pauser.client("UNPAUSE");
      }
      expect(patientBreaker.open.map((circuit) => circuit.node)).toEqual(["redis"]);
    } finally {
      breaker.close();
      patientBreaker.close();
      pauser.disconnect();
      patient.disconnect();
      fast.disconnect();
      await redis.kill();
    }
  });
  it("still sees its own stall after a look on a clock that ran ahead (a test's slow clock) and came back", async () => {
    const redis = await startPrivateRedis();
    const fast = new Redis({ port: redis.port, commandTimeout: 100 });
    const breaker = new CircuitBreaker(fast, { logger: silentLogger });
    try {
      if (fast.status !== "ready") await new Promise((resolve) => fast.once("ready", resolve));
      expect(loopStalls.total).toBeGreaterThanOrEqual(0);
      // One look on a clock far ahead (as under test/support/turns.ts's onSlowClock, whose clock
      // ran 17 s ahead), then the real clock again: 1e12 ms is decades past any process's start.
      const clock = vi.spyOn(performance, "now").mockReturnValue(1e12);
      expect(loopStalls.total).toBeGreaterThanOrEqual(0);
      clock.mockRestore();
      const blocked = breaker.run("k", () => fast.get("rapfs-stall-test"));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
      await expect(blocked).rejects.toThrow("Command timed out");
      expect(breaker.open).toEqual([]);
    } finally {
      breaker.close();
      fast.disconnect();
      await redis.kill();
    }
  });
});

describe("a pipeline whose commands time out", () => {
  it("opens the node's circuit like a single command's timeout, and closes none as a probe", async () => {
    const redis = await startPrivateRedis();
    const client = new Redis({ port: redis.port, commandTimeout: 300 });
    const breaker = new CircuitBreaker(client, { logger: silentLogger, cooldownMs: 50 });
    const store = new RedisOnlineStore(client, { prefix: "rapfs-pipeline-fault", breaker });
    const pauser = new Redis({ port: redis.port });
    // Written with a TTL: a pipeline of SETs, one per row (a plain write is one MSET).
    const write = () => store.write("qwen_analysis@1", rows([1, 2, 3]), { ttlMs: 60_000 });
    try {
      await write();
      // Silent for the rest of the test (up to three tries: see the test above).
      await pauser.client("PAUSE", 5_000, "ALL");
      for (let i = 0; i < 3 && breaker.open.length === 0; i++) {
        await expect(write()).rejects.toThrow("Command timed out");
      }
      expect(breaker.open.map((circuit) => circuit.node)).toEqual(["redis"]);
      // A probe after the cooldown, the node still silent, keeps it open.
      await new Promise((resolve) => setTimeout(resolve, 60));
      await expect(write()).rejects.toThrow();
      expect(breaker.open).toHaveLength(1);
    } finally {
      breaker.close();
      pauser.disconnect();
      client.disconnect();
      await redis.kill();
    }
  });
});
