import { describe, expect, it } from "vitest";
import type { EmbeddedDatabase, ServerDatabase } from "../../src/db/database";
import { Readiness } from "../../src/health/readiness";
import { databaseCheck } from "../../src/runtime/compose";
import { profileOf } from "../../src/runtime/database-profile";

/** A `select 1` that answers until `hang` is set, then never (queued behind a Redis refill's reads). */
function slowDatabase() {
  const state = { hang: false, fail: false };
  const sql = (() => {
    if (state.fail) return Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
    return state.hang ? new Promise(() => {}) : Promise.resolve([{ "?column?": 1 }]);
  }) as unknown as EmbeddedDatabase["sql"];
  // As profileOf reads it: the rest of an EmbeddedDatabase is not used by the check.
  return {
    state,
    database: profileOf({ mode: "embedded", sql, busy: () => false } as unknown as EmbeddedDatabase),
  };
}

describe("the database readiness check", () => {
  it("stays passing while the database is too busy to answer a probe in time, if it answered recently (#27.5)", async () => {
    let now = 1_000_000;
    const { state, database } = slowDatabase();
    const readiness = new Readiness({ timeoutMs: 20, cacheMs: 0, now: () => now }).register(
      databaseCheck(database),
    );
    expect((await readiness.run()).status).toBe("ready");
    state.hang = true;
    now += 5_000;
    const busy = await readiness.run();
    // Before: 503 NOT_READY, "no answer within 2000 ms", for as long as the refill kept it busy.
    expect(busy.status).toBe("ready");
    expect(busy.checks[0]).toMatchObject({
      name: "database",
      status: "pass",
      detail: /^busy: no answer within 20 ms/,
    });
    // Silent for longer than the grace: down.
    now += 60_000;
    const down = await readiness.run();
    expect(down.status).toBe("not_ready");
    expect(down.checks[0]).toMatchObject({ status: "fail", detail: "no answer within 20 ms" });
  });

  it("on a server, fails at once when its own connection is refused, though the pools' select 1 only hangs", async () => {
    let now = 1_000_000;
    const { state } = slowDatabase();
    // A cut server: pooled queries wait for a reconnect (their 2 s connect timeout), a fresh connection is refused.
    const ping = async () => {
      if (state.hang) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
    };
    const readiness = new Readiness({ timeoutMs: 20, cacheMs: 0, now: () => now }).register(
      databaseCheck(profileOf({ mode: "server", ping } as unknown as ServerDatabase)),
    );
    expect((await readiness.run()).status).toBe("ready");
    state.hang = true;
    now += 1_000;
    // Before: the pool's select 1 hung into the busy grace, and /ready said 200 for 30 s.
    const down = await readiness.run();
    expect(down.status).toBe("not_ready");
    expect(down.checks[0]).toMatchObject({ status: "fail", detail: /ECONNREFUSED/ });
  });

  it("fails at once on an error, however recently it answered", async () => {
    let now = 1_000_000;
    const { state, database } = slowDatabase();
    const readiness = new Readiness({ timeoutMs: 20, cacheMs: 0, now: () => now }).register(
      databaseCheck(database),
    );
    expect((await readiness.run()).status).toBe("ready");
    state.fail = true;
    now += 1_000;
    const report = await readiness.run();
    expect(report.status).toBe("not_ready");
    expect(report.checks[0]).toMatchObject({ status: "fail", detail: /ECONNREFUSED/ });
  });

  it("fails when it never answered (a start against a database that hangs)", async () => {
    const { state, database } = slowDatabase();
    state.hang = true;
    const readiness = new Readiness({ timeoutMs: 20, cacheMs: 0 }).register(databaseCheck(database));
    expect((await readiness.run()).status).toBe("not_ready");
  });
});

describe("a readiness check", () => {
  it("that throws instead of rejecting fails like one that rejects", async () => {
    const readiness = new Readiness({ cacheMs: 0 }).register({
      name: "odd",
      check: () => {
        throw new Error("thrown");
      },
    });
    expect((await readiness.run()).checks[0]).toMatchObject({ status: "fail", detail: "thrown" });
  });
});
