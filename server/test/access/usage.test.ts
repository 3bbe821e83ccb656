import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageRecorder } from "../../src/access/usage";
import type { Sql } from "../../src/db/database";
import { deferred } from "../support/deferred";
import { type AccessTestDatabase, accessTestDatabase } from "./support";

/** The real database, with its usage inserts held until `release`, after the insert ran or before. */
function holdingInserts(sql: Sql, when: "before" | "after") {
  const released = deferred();
  const reached = deferred();
  const read = deferred();
  const wrapped = new Proxy(sql, {
    apply(target, self, args: unknown[]) {
      const query = Reflect.apply(target, self, args) as PromiseLike<unknown>;
      const text = (args[0] as TemplateStringsArray | undefined)?.join("") ?? "";
      if (text.includes("from usage_daily")) return Promise.resolve(query).finally(read.resolve);
      if (!text.includes("insert into usage_daily")) return query;
      if (when === "before") {
        reached.resolve();
        return released.promise.then(() => query);
      }
      return Promise.resolve(query).then(async (result) => {
        reached.resolve();
        await released.promise;
        return result;
      });
    },
  });
  return { sql: wrapped, held: reached.promise, release: released.resolve, readDone: read.promise };
}

describe("UsageRecorder", () => {
  let db: AccessTestDatabase;
  const account = () => randomUUID();

  beforeAll(async () => {
    db = await accessTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  async function withAccount(id: string): Promise<void> {
    await db.sql`insert into accounts (id, email, tier) values (${id}, ${`${id}@example.com`}, 'free')`;
  }

  it("counts a flush while it is being written, neither pending nor kept", async () => {
    const id = account();
    await withAccount(id);
    const hold = holdingInserts(db.sql, "before");
    const usage = new UsageRecorder(hold.sql, { flushIntervalMs: 3_600_000 });
    expect(await usage.history(id, 1)).toEqual([]);
    usage.record(id, { requests: 2 });
    const flushed = usage.flush();
    await hold.held;
    expect((await usage.history(id, 1))[0]).toMatchObject({ requests: 2 });
    hold.release();
    await flushed;
    expect((await usage.history(id, 1))[0]).toMatchObject({ requests: 2 });
    await usage.close();
  });

  it("never counts a flush twice when a first read sees its insert before the flush has ended", async () => {
    const id = account();
    await withAccount(id);
    const hold = holdingInserts(db.sql, "after");
    const usage = new UsageRecorder(hold.sql, { flushIntervalMs: 3_600_000 });
    usage.record(id, { requests: 2 });
    const flushed = usage.flush();
    await hold.held;
    const first = usage.history(id, 1);
    // A read that does not wait for the flush has seen its insert by now; one that waits has not begun.
    await Promise.race([hold.readDone, delay(500)]);
    hold.release();
    await flushed;
    expect((await first)[0]).toMatchObject({ requests: 2 });
    usage.record(id, { requests: 1 });
    expect((await usage.history(id, 1))[0]).toMatchObject({ requests: 3 });
    await usage.close();
    expect((await new UsageRecorder(db.sql).history(id, 1))[0]).toMatchObject({ requests: 3 });
  });
});
