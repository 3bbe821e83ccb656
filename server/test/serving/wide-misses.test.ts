import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Sql } from "../../src/db/database";
import { silentLogger } from "../../src/log/logger";
import { profileOf } from "../../src/runtime/database-profile";
import type { RunningServer } from "../../src/runtime/start-server";
import { ServingCatalog } from "../../src/serving/catalog";
import { createPostgresFallback, WIDE_READ_IDS } from "../../src/serving/fallback";
import { startServing } from "./support";

/**
 * On the embedded default (no Redis), online reads that miss the in-process store come from the
 * one PGlite backend. A wide batch's misses go through the bulk class, a statement per
 * WIDE_READ_IDS, so a bystander's lookup waiting for the backend goes before each of them.
 */
describe("online-store misses on the embedded database", () => {
  let server: RunningServer;
  let database: Database;
  beforeAll(async () => {
    server = await startServing();
    database = (server.services as unknown as { database: Database }).database;
  });
  afterAll(() => server?.shutdown());

  /** The real connections, with the statements each is sent counted. */
  const counted = (sql: Sql) => {
    const sent = { statements: 0 };
    const proxy = new Proxy(sql, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name !== "unsafe" || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          sent.statements++;
          return value.apply(target, args);
        };
      },
    });
    return { sql: proxy, sent };
  };

  it("of many ids go through the bulk class, WIDE_READ_IDS ids a statement; a few stay interactive", async () => {
    const interactive = counted(database.sql);
    const bulk = counted(database.bulk);
    const catalog = new ServingCatalog(database.sql, { logger: silentLogger });
    const fallback = createPostgresFallback(catalog, { run: (read) => read(interactive.sql) }, bulk.sql);
    const ids = Array.from({ length: 500 }, (_, i) => String(i + 1));

    const wide = await fallback("track_profile@1", ids);
    expect(wide.size).toBe(500);
    expect(bulk.sent.statements).toBe(Math.ceil(500 / WIDE_READ_IDS));
    expect(interactive.sent.statements).toBe(0);

    const narrow = await fallback("track_profile@1", ["501", "502"]);
    expect([...narrow.keys()].sort()).toEqual(["501", "502"]);
    expect(bulk.sent.statements).toBe(Math.ceil(500 / WIDE_READ_IDS));
    expect(interactive.sent.statements).toBe(1);
  });

  it("are what the embedded profile's wide reads are: the bulk class", () => {
    expect(profileOf(database).wideReads).toBe(database.bulk);
  });
});
