import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessServices, createAccessServices } from "../../src/access/access-services";
import { loadAccessConfig } from "../../src/access/config";
import type { Database } from "../../src/db/database";
import { openEmbeddedTestDatabase } from "../support/databases";

// The embedded default: PGlite with every shipped migration, no Redis.
let db: Database;
let access: AccessServices;

beforeAll(async () => {
  db = await openEmbeddedTestDatabase();
  access = await createAccessServices({ sql: db.sql, config: loadAccessConfig({}) });
});
afterAll(async () => {
  await access?.close();
  await db?.close();
});

describe("access on embedded PGlite", () => {
  it("signs up, authorizes, rotates and keeps usage with the shipped migrations", async () => {
    const { account, key } = await access.accounts.signup({ email: "embedded@example.com" });
    const first = await access.gate.authorize(key.key, "features:read", { rows: 10 });
    expect(first.ok).toBe(true);
    const rotated = await access.keys.rotate(account.id, key.info.id);
    expect((await access.verifier.verify(rotated.key)).ok).toBe(true);
    await access.usage.flush();
    await access.lastUsed.flush();
    const report = await access.gate.usage({
      accountId: account.id,
      keyId: key.info.id,
      tier: "free",
      scopes: [],
    });
    expect(report.history[0]).toMatchObject({ requests: 1, rows: 10 });
    expect(report.windows.map((w) => [w.policy.name, w.remaining])).toEqual([
      ["requests", 59],
      ["rows", 9_990],
      ["downloads", 3],
      ["bytes", 1024 ** 3],
    ]);
    expect((await access.keys.get(account.id, key.info.id)).lastUsedAt).toBeInstanceOf(Date);
  });
});
