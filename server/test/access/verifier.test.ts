import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessServices, createAccessServices } from "../../src/access/access-services";
import { AccountService } from "../../src/access/accounts";
import { generateKey } from "../../src/access/api-key-format";
import { loadAccessConfig } from "../../src/access/config";
import {
  createLocalInvalidationBus,
  type Invalidation,
  type InvalidationBus,
} from "../../src/access/invalidation";
import { KeyStore } from "../../src/access/key-store";
import { DEFAULT_TIERS } from "../../src/access/tiers";
import { KeyVerifier, presentedKey } from "../../src/access/verifier";
import {
  type AccessTestDatabase,
  accessTestDatabase,
  dropPrefix,
  PrivateRedis,
  sharedRedis,
  uniquePrefix,
} from "./support";

let db: AccessTestDatabase;
let redis: Redis;

beforeAll(async () => {
  db = await accessTestDatabase();
  redis = sharedRedis();
});
afterAll(async () => {
  await db?.close();
  redis?.disconnect();
});

const nextEvent = (bus: InvalidationBus, match: (e: Invalidation) => boolean) =>
  new Promise<Invalidation>((resolve) => {
    const stop = bus.subscribe((event) => {
      if (!match(event)) return;
      stop();
      resolve(event);
    });
  });

describe("presented keys", () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name];
  it("come from Authorization: Bearer or x-api-key", () => {
    expect(presentedKey(headers({ authorization: "Bearer rapfs_abc" }))).toBe("rapfs_abc");
    expect(presentedKey(headers({ authorization: "bearer  rapfs_abc " }))).toBe("rapfs_abc");
    expect(presentedKey(headers({ "x-api-key": " rapfs_abc" }))).toBe("rapfs_abc");
    expect(presentedKey(headers({}))).toBeUndefined();
    expect(presentedKey(headers({ authorization: "Bearer" }))).toBe("Bearer");
    expect(presentedKey(headers({ authorization: "Basic dXNlcjpwYXNz" }))).toBe("Basic dXNlcjpwYXNz");
    // A proxy's own Authorization does not hide the API key header.
    expect(presentedKey(headers({ authorization: "Basic dXNlcjpwYXNz", "x-api-key": "rapfs_abc" }))).toBe(
      "rapfs_abc",
    );
  });
});

describe("verification", () => {
  let clock = Date.now();
  let keys: KeyStore;
  let accounts: AccountService;
  let verifier: KeyVerifier;

  beforeAll(() => {
    const bus = createLocalInvalidationBus();
    keys = new KeyStore(db.sql, bus, { now: () => new Date(clock) });
    accounts = new AccountService(db.sql, keys, DEFAULT_TIERS, bus);
    verifier = new KeyVerifier(keys, bus, { ttlMs: 30_000, clock: () => clock });
  });

  it("turns a valid key into its principal", async () => {
    const { account, key } = await accounts.signup({ email: "principal@example.com" });
    expect(await verifier.verify(key.key)).toEqual({
      ok: true,
      principal: {
        accountId: account.id,
        keyId: key.info.id,
        tier: "free",
        scopes: key.info.scopes,
        expiresAt: null,
        rotating: false,
      },
    });
  });

  it("names each failure internally", async () => {
    const { account, key } = await accounts.signup({ email: "reasons@example.com" });
    const expiring = await keys.create(account.id, {
      scopes: ["features:read"],
      expiresAt: new Date(clock + 1_000),
    });
    const revoked = await keys.create(account.id, { scopes: ["features:read"] });
    await keys.revoke(account.id, revoked.info.id);
    const reason = async (k: string | undefined) => {
      const result = await verifier.verify(k);
      return result.ok ? "ok" : result.reason;
    };
    expect(await reason(undefined)).toBe("missing");
    expect(await reason("")).toBe("missing");
    expect(await reason("rapfs_not-base58!")).toBe("malformed");
    expect(await reason(generateKey().key)).toBe("unknown");
    expect(await reason(revoked.key)).toBe("revoked");
    expect(await reason(expiring.key)).toBe("ok");
    clock += 1_000;
    expect(await reason(expiring.key)).toBe("expired");
    await accounts.disable(account.id);
    expect(await reason(key.key)).toBe("disabled");
    await accounts.enable(account.id);
    expect(await reason(key.key)).toBe("ok");
  });

  it("keeps the old key of a rotation working through the grace period only", async () => {
    const { account, key } = await accounts.signup({ email: "grace@example.com" });
    const rotated = await keys.rotate(account.id, key.info.id, { graceSeconds: 60 });
    expect((await verifier.verify(key.key)).ok).toBe(true);
    expect((await verifier.verify(rotated.key)).ok).toBe(true);
    clock += 60_000;
    expect(await verifier.verify(key.key)).toEqual({ ok: false, reason: "expired" });
    expect((await verifier.verify(rotated.key)).ok).toBe(true);
  });

  it("answers from its cache until the TTL when nothing announces a change", async () => {
    const { key } = await accounts.signup({ email: "cached@example.com" });
    expect((await verifier.verify(key.key)).ok).toBe(true);
    // A change made behind the services' back (no invalidation) is only seen after the TTL.
    await db.sql`update api_keys set revoked_at = now() where id = ${key.info.id}`;
    expect((await verifier.verify(key.key)).ok).toBe(true);
    clock += 30_000;
    expect(await verifier.verify(key.key)).toEqual({ ok: false, reason: "revoked" });
  });

  it("records last use in batches, not per request", async () => {
    const { LastUsedRecorder } = await import("../../src/access/last-used");
    const lastUsed = new LastUsedRecorder(db.sql, { flushIntervalMs: 3_600_000 });
    const counting = new KeyVerifier(keys, createLocalInvalidationBus(), { lastUsed, clock: () => clock });
    const { key } = await accounts.signup({ email: "last-used@example.com" });
    for (let i = 0; i < 50; i++) await counting.verify(key.key);
    expect(lastUsed.pendingCount).toBe(1);
    expect((await keys.get(key.info.accountId, key.info.id)).lastUsedAt).toBeNull();
    await lastUsed.close();
    expect((await keys.get(key.info.accountId, key.info.id)).lastUsedAt?.getTime()).toBe(clock);
  });
});

describe("across processes", () => {
  const prefix = uniquePrefix();
  let a: AccessServices;
  let b: AccessServices;

  beforeAll(async () => {
    // A cache TTL of an hour: only the pub/sub message can make process A notice a change.
    const config = { ...loadAccessConfig({ RAPFS_REDIS_PREFIX: prefix }), keyCacheTtlMs: 3_600_000 };
    a = await createAccessServices({ sql: db.sql, redis, config });
    b = await createAccessServices({ sql: db.sql, redis, config });
    await Promise.all([a.bus.ready(), b.bus.ready()]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dropPrefix(redis, prefix);
  });

  it("revocation in one process reaches the other's cache through Redis pub/sub", async () => {
    const { account, key } = await b.accounts.signup({ email: "pubsub-revoke@example.com" });
    expect((await a.verifier.verify(key.key)).ok).toBe(true);
    const heard = nextEvent(a.bus, (e) => e.kind === "key" && e.id === key.info.id);
    await b.keys.revoke(account.id, key.info.id);
    await heard;
    expect(await a.verifier.verify(key.key)).toEqual({ ok: false, reason: "revoked" });
  });

  it("disabling an account and changing its tier reach the other process too", async () => {
    const { account, key } = await b.accounts.signup({ email: "pubsub-account@example.com" });
    expect(await a.verifier.verify(key.key)).toMatchObject({ principal: { tier: "free" } });
    let heard = nextEvent(a.bus, (e) => e.kind === "account" && e.id === account.id);
    await b.accounts.setTier(account.id, "pro");
    await heard;
    expect(await a.verifier.verify(key.key)).toMatchObject({ principal: { tier: "pro" } });
    heard = nextEvent(a.bus, (e) => e.kind === "account" && e.id === account.id);
    await b.accounts.disable(account.id);
    await heard;
    expect(await a.verifier.verify(key.key)).toEqual({ ok: false, reason: "disabled" });
  });

  it("uses one channel per deployment", async () => {
    const other = await createAccessServices({
      sql: db.sql,
      redis,
      config: { ...loadAccessConfig({ RAPFS_REDIS_PREFIX: `${prefix}-other` }), keyCacheTtlMs: 3_600_000 },
    });
    try {
      await other.bus.ready();
      const { account, key } = await other.accounts.signup({ email: "other-deployment@example.com" });
      expect((await a.verifier.verify(key.key)).ok).toBe(true);
      await other.keys.revoke(account.id, key.info.id);
      // A message on this deployment's channel, sent after the other one's, arrives after it would have.
      const marker = nextEvent(a.bus, (e) => e.kind === "key" && e.id === "marker");
      await b.bus.publish({ kind: "key", id: "marker" });
      await marker;
      expect((await a.verifier.verify(key.key)).ok).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe("a subscriber that lost Redis", () => {
  it("drops its whole cache once it is subscribed again, since messages were missed", async () => {
    const server = await PrivateRedis.start();
    const { Redis } = await import("ioredis");
    const base = new Redis(server.url, { lazyConnect: true });
    const services = await createAccessServices({
      sql: db.sql,
      redis: base,
      config: { ...loadAccessConfig({ RAPFS_REDIS_PREFIX: uniquePrefix() }), keyCacheTtlMs: 3_600_000 },
    });
    try {
      await services.bus.ready();
      const { key } = await services.accounts.signup({ email: "reconnect@example.com" });
      await services.verifier.verify(key.key);
      expect(services.verifier.cachedCount).toBe(1);
      const flushed = nextEvent(services.bus, (e) => e.kind === "all");
      server.down();
      server.up();
      await flushed;
      expect(services.verifier.cachedCount).toBe(0);
    } finally {
      await services.close();
      server.down();
    }
  });
});

describe("a database that cannot be reached", () => {
  const lookup = (keyId: string) => ({
    keyId,
    accountId: "acct",
    scopes: ["features:read" as const],
    expiresAt: null,
    revokedAt: null,
    tier: "free",
    disabledAt: null,
    rotating: false,
  });
  const refused = () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

  it("still verifies the keys it verified, at once, and refuses new ones with the connection error", async () => {
    let now = 0;
    let down = false;
    let asked = 0;
    const store = {
      lookup: async () => {
        asked++;
        if (down) throw refused();
        return lookup("k1");
      },
    } as unknown as KeyStore;
    const bus = createLocalInvalidationBus();
    const verifier = new KeyVerifier(store, bus, { ttlMs: 1_000, clock: () => now });
    const known = generateKey().key;
    expect((await verifier.verify(known)).ok).toBe(true);
    down = true;
    now = 5_000;
    // The first lookup past the TTL meets the outage and falls back to the cached answer.
    expect(await verifier.verify(known)).toMatchObject({ ok: true, principal: { keyId: "k1" } });
    // Later ones answer from the cache without waiting on a lookup.
    const before = asked;
    expect((await verifier.verify(known)).ok).toBe(true);
    expect(asked).toBeLessThanOrEqual(before + 1);
    await expect(verifier.verify(generateKey().key)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    // A revocation on the bus still drops the key.
    await bus.publish({ kind: "key", id: "k1" });
    await expect(verifier.verify(known)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    // Past the TTL and the stale window, the outage reaches the caller.
    down = false;
    expect((await verifier.verify(known)).ok).toBe(true);
    down = true;
    now += 1_000 + 15 * 60_000;
    await expect(verifier.verify(known)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    verifier.close();
  });
});
