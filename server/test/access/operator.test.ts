import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessServices, createAccessServices } from "../../src/access/access-services";
import { bootstrapAdminKey } from "../../src/access/admin-key";
import { generateKey } from "../../src/access/api-key-format";
import { loadAccessConfig } from "../../src/access/config";
import { createKeyForEmail, parseCreateOptions } from "../../src/cli/actions/keys";
import { type AccessTestDatabase, accessTestDatabase } from "./support";

let db: AccessTestDatabase;
let access: AccessServices;

beforeAll(async () => {
  db = await accessTestDatabase();
  access = await createAccessServices({ sql: db.sql, config: loadAccessConfig({}) });
});
afterAll(async () => {
  await access?.close();
  await db?.close();
});

describe("RAPFS_ADMIN_KEY", () => {
  it("becomes a hashed admin key of an operator account, replaced when the variable changes", async () => {
    const first = generateKey().key;
    await bootstrapAdminKey(db.sql, access.bus, first);
    await bootstrapAdminKey(db.sql, access.bus, first);
    const verified = await access.verifier.verify(first);
    expect(verified).toMatchObject({ ok: true, principal: { tier: "admin", scopes: ["admin"] } });
    const accountId = verified.ok ? verified.principal.accountId : "";
    expect(await access.keys.list(accountId)).toHaveLength(1);

    const second = generateKey().key;
    await bootstrapAdminKey(db.sql, access.bus, second);
    expect(await access.verifier.verify(first)).toEqual({ ok: false, reason: "revoked" });
    expect((await access.verifier.verify(second)).ok).toBe(true);
    expect((await access.gate.authorize(second, "datasets:read", { downloads: 1_000 })).ok).toBe(true);
  });
});

describe("rapfs keys create", () => {
  it("creates the account with its tier, or moves an existing one, and prints a working key", async () => {
    const created = await createKeyForEmail(access, {
      email: "Researcher@Example.org",
      tier: "pro",
      scopes: "features:read,embeddings:read",
      expiresInDays: 30,
    });
    expect(created).toMatchObject({
      accountCreated: true,
      account: { email: "researcher@example.org", tier: "pro" },
    });
    expect(created.created.info.scopes).toEqual(["features:read", "embeddings:read"]);
    expect(created.created.info.expiresAt).toBeInstanceOf(Date);
    expect((await access.gate.authorize(created.created.key, "embeddings:read")).ok).toBe(true);

    const again = await createKeyForEmail(access, { email: "researcher@example.org", tier: "admin" });
    expect(again).toMatchObject({
      accountCreated: false,
      account: { id: created.account.id, tier: "admin" },
    });
    expect(again.created.info.scopes).toEqual([
      "features:read",
      "embeddings:read",
      "datasets:read",
      "keys:manage",
    ]);
  });

  it("checks its flags before touching the database", () => {
    expect(() => parseCreateOptions({ email: "x@example.com", scopes: "features:read,nope" })).toThrow(
      /Unknown scope nope/,
    );
    expect(() => parseCreateOptions({ email: "x@example.com", expiresInDays: 0 })).toThrow(/positive/);
    expect(() => parseCreateOptions({ email: "x@example.com", expiresInDays: Number.NaN })).toThrow(
      /positive/,
    );
  });
});
