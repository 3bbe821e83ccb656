import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountService } from "../../src/access/accounts";
import { hashKey } from "../../src/access/api-key-format";
import { createLocalInvalidationBus, type Invalidation } from "../../src/access/invalidation";
import { KeyStore } from "../../src/access/key-store";
import { DEFAULT_TIERS } from "../../src/access/tiers";
import type { ErrorCode } from "../../src/errors";
import { type AccessTestDatabase, accessTestDatabase } from "./support";

let db: AccessTestDatabase;
let keys: KeyStore;
let accounts: AccountService;
const published: Invalidation[] = [];
let clock = new Date();

beforeAll(async () => {
  db = await accessTestDatabase();
  const bus = createLocalInvalidationBus();
  bus.subscribe((event) => published.push(event));
  keys = new KeyStore(db.sql, bus, { now: () => clock });
  accounts = new AccountService(db.sql, keys, DEFAULT_TIERS, bus);
});
afterAll(async () => {
  await db?.close();
});

const rejection = (code: ErrorCode, message?: RegExp) =>
  expect.objectContaining({
    name: "DomainError",
    code,
    ...(message ? { message: expect.stringMatching(message) } : {}),
  });

describe("signup", () => {
  it("creates a free account and its first key, returning the plaintext once", async () => {
    const { account, key } = await accounts.signup({ email: "  Ada@Example.COM ", name: " Ada " });
    expect(account).toMatchObject({ email: "ada@example.com", name: "Ada", tier: "free", disabledAt: null });
    expect(key.key).toMatch(/^rapfs_/);
    expect(key.info).toMatchObject({ accountId: account.id, name: "default", status: "active" });
    expect(key.info.scopes).toEqual(["features:read", "embeddings:read", "datasets:read", "keys:manage"]);
    const [stored] = await db.sql`select key_hash from api_keys where id = ${key.info.id}`;
    expect(stored?.key_hash).toBe(hashKey(key.key));
  });

  it("refuses a second account for the same address, whatever its case", async () => {
    await accounts.signup({ email: "dup@example.com" });
    await expect(accounts.signup({ email: "DUP@example.com" })).rejects.toEqual(
      rejection("CONFLICT", /already exists/),
    );
    const [{ count } = { count: 0 }] = await db.sql<{ count: number }[]>`
      select count(*)::int from accounts where email = 'dup@example.com'`;
    expect(count).toBe(1);
  });

  it("validates the address and the name", async () => {
    for (const email of ["", "nobody", "a@b", "two@@example.com", `${"x".repeat(250)}@example.com`]) {
      await expect(accounts.signup({ email })).rejects.toEqual(rejection("VALIDATION_FAILED"));
    }
    await expect(accounts.signup({ email: "long@example.com", name: "n".repeat(201) })).rejects.toEqual(
      rejection("VALIDATION_FAILED", /name/),
    );
    expect(await accounts.findByEmail("long@example.com")).toBeNull();
  });
});

describe("keys", () => {
  it("lists an account's keys without digests, newest first", async () => {
    const { account } = await accounts.signup({ email: "lister@example.com" });
    await keys.create(account.id, { name: "ci", scopes: ["features:read"] });
    const listed = await keys.list(account.id);
    expect(listed.map((k) => k.name)).toEqual(["ci", "default"]);
    for (const info of listed) {
      expect(Object.keys(info).sort()).toEqual(
        [
          "accountId",
          "createdAt",
          "displayPrefix",
          "expiresAt",
          "id",
          "lastUsedAt",
          "name",
          "replacedBy",
          "revokedAt",
          "scopes",
          "status",
        ].sort(),
      );
      expect(info.displayPrefix).toMatch(/^rapfs_.{4}…$/);
    }
  });

  it("creates keys with at most the scopes of the key asking", async () => {
    const { account } = await accounts.signup({ email: "grantor@example.com" });
    const grantedBy = ["features:read", "keys:manage"];
    await expect(keys.create(account.id, { scopes: ["features:read"] }, { grantedBy })).resolves.toBeTruthy();
    await expect(keys.create(account.id, { scopes: ["admin"] }, { grantedBy })).rejects.toEqual(
      rejection("FORBIDDEN", /cannot grant admin/),
    );
    await expect(keys.create(account.id, { scopes: ["features:write"] })).rejects.toEqual(
      rejection("VALIDATION_FAILED", /Unknown scope/),
    );
    await expect(keys.create(account.id, { scopes: [] })).rejects.toEqual(rejection("VALIDATION_FAILED"));
    await expect(
      keys.create(account.id, { scopes: ["features:read"], expiresAt: new Date(clock.getTime() - 1) }),
    ).rejects.toEqual(rejection("VALIDATION_FAILED", /future/));
  });

  it("rotates: a successor with the same scopes, the old key valid for the grace period", async () => {
    const { account, key } = await accounts.signup({ email: "rotor@example.com" });
    published.length = 0;
    const rotated = await keys.rotate(account.id, key.info.id, { graceSeconds: 3_600 });
    expect(rotated.key).not.toBe(key.key);
    expect(rotated.info.scopes).toEqual(key.info.scopes);
    expect(rotated.previous).toMatchObject({ status: "rotating", replacedBy: rotated.info.id });
    expect(rotated.previous.expiresAt?.getTime()).toBe(clock.getTime() + 3_600_000);
    expect(published).toEqual([{ kind: "key", id: key.info.id }]);
    await expect(keys.rotate(account.id, key.info.id)).rejects.toEqual(rejection("CONFLICT", /rotating/));
  });

  it("rotates with a 24 h grace by default and never extends an earlier expiry", async () => {
    const { account } = await accounts.signup({ email: "default-grace@example.com" });
    const soon = new Date(clock.getTime() + 60_000);
    const short = await keys.create(account.id, { scopes: ["features:read"], expiresAt: soon });
    const plain = await keys.create(account.id, { scopes: ["features:read"] });
    const a = await keys.rotate(account.id, short.info.id);
    const b = await keys.rotate(account.id, plain.info.id);
    expect(a.previous.expiresAt?.getTime()).toBe(soon.getTime());
    expect(a.info.expiresAt?.getTime()).toBe(soon.getTime());
    expect(b.previous.expiresAt?.getTime()).toBe(clock.getTime() + 86_400_000);
    await expect(keys.rotate(account.id, plain.info.id, { graceSeconds: -1 })).rejects.toEqual(
      rejection("VALIDATION_FAILED"),
    );
  });

  it("revokes own keys only, idempotently", async () => {
    const owner = await accounts.signup({ email: "owner@example.com" });
    const other = await accounts.signup({ email: "other@example.com" });
    await expect(keys.revoke(other.account.id, owner.key.info.id)).rejects.toEqual(rejection("NOT_FOUND"));
    await expect(keys.revoke(owner.account.id, "not-a-uuid")).rejects.toEqual(rejection("NOT_FOUND"));
    const revoked = await keys.revoke(owner.account.id, owner.key.info.id);
    expect(revoked.status).toBe("revoked");
    const again = await keys.revoke(owner.account.id, owner.key.info.id);
    expect(again.revokedAt).toEqual(revoked.revokedAt);
    await expect(keys.rotate(owner.account.id, owner.key.info.id)).rejects.toEqual(rejection("CONFLICT"));
  });

  it("reports expired keys as expired", async () => {
    const { account } = await accounts.signup({ email: "expiring@example.com" });
    const created = await keys.create(account.id, {
      scopes: ["features:read"],
      expiresAt: new Date(clock.getTime() + 1_000),
    });
    const saved = clock;
    clock = new Date(clock.getTime() + 2_000);
    try {
      expect((await keys.get(account.id, created.info.id)).status).toBe("expired");
    } finally {
      clock = saved;
    }
  });
});

describe("administration", () => {
  it("changes tiers, disables and re-enables accounts, announcing each change", async () => {
    const { account } = await accounts.signup({ email: "admin-target@example.com" });
    published.length = 0;
    expect((await accounts.setTier(account.id, "pro")).tier).toBe("pro");
    await expect(accounts.setTier(account.id, "platinum")).rejects.toEqual(
      rejection("VALIDATION_FAILED", /Unknown tier/),
    );
    expect((await accounts.disable(account.id)).disabledAt).toBeInstanceOf(Date);
    expect((await accounts.enable(account.id)).disabledAt).toBeNull();
    expect(published).toEqual(Array.from({ length: 3 }, () => ({ kind: "account", id: account.id })));
    await expect(accounts.disable("00000000-0000-0000-0000-000000000000")).rejects.toEqual(
      rejection("NOT_FOUND"),
    );
  });

  it("creates operator accounts of any tier and pages through all accounts", async () => {
    const created = await accounts.create({ email: "ops@example.com", tier: "admin" });
    expect(created.tier).toBe("admin");
    const all = [];
    let after: string | undefined;
    for (;;) {
      const page = await accounts.list({ limit: 3, ...(after ? { after } : {}) });
      all.push(...page);
      if (page.length < 3) break;
      after = page.at(-1)?.id;
    }
    const [{ count } = { count: 0 }] = await db.sql<{ count: number }[]>`select count(*)::int from accounts`;
    expect(all).toHaveLength(count);
    expect(new Set(all.map((a) => a.id)).size).toBe(count);
  });
});
