import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AccessServices } from "../../src/access/access-services";
import type { GateResult } from "../../src/access/gate";
import { type AccessTestDatabase, accessTestDatabase, tinyLimitsAccess } from "./support";

let db: AccessTestDatabase;
let access: AccessServices;

beforeAll(async () => {
  db = await accessTestDatabase();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await access?.close();
  access = await tinyLimitsAccess(db.sql);
});

let n = 0;
const signup = async () => access.accounts.signup({ email: `gate-${n++}@example.com` });
const denial = (result: GateResult) => (result.ok ? null : result.denial);
const remaining = async (accountId: string, dimension: "requests" | "rows" | "downloads" | "bytes") => {
  const report = await access.gate.usage({ accountId, keyId: "", tier: "free", scopes: [] });
  return report.windows.find((w) => w.policy.name === dimension)?.remaining;
};

describe("the access decision", () => {
  it("admits a valid key with the scope and reports the checked policies", async () => {
    const { key } = await signup();
    const result = await access.gate.authorize(key.key, "features:read", { rows: 4 });
    expect(result.ok).toBe(true);
    expect(result.limits.map((l) => [l.policy.name, l.remaining])).toEqual([
      ["requests", 2],
      ["rows", 6],
    ]);
  });

  it("refuses authentication problems with 401 before looking at scopes or limits", async () => {
    const { account, key } = await signup();
    await access.accounts.disable(account.id);
    expect(denial(await access.gate.authorize(key.key, "admin"))).toEqual({
      status: 401,
      reason: "disabled",
    });
    expect(denial(await access.gate.authorize(undefined, "features:read"))).toEqual({
      status: 401,
      reason: "missing",
    });
    expect(await remaining(account.id, "requests")).toBe(3);
  });

  it("refuses a missing scope with 403 without spending the rate limit", async () => {
    const { account } = await signup();
    const narrow = await access.keys.create(account.id, { scopes: ["embeddings:read"] });
    for (let i = 0; i < 5; i++) {
      expect(denial(await access.gate.authorize(narrow.key, "datasets:read", { downloads: 1 }))).toEqual({
        status: 403,
        reason: "insufficient_scope",
        required: "datasets:read",
      });
    }
    expect(await remaining(account.id, "requests")).toBe(3);
    expect(await remaining(account.id, "downloads")).toBe(1);
  });

  it("rate limits per account, across its keys, before spending quota", async () => {
    const { account, key } = await signup();
    const second = await access.keys.create(account.id, { scopes: ["features:read"] });
    for (const k of [key.key, second.key, key.key]) {
      expect((await access.gate.authorize(k, "features:read", { rows: 1 })).ok).toBe(true);
    }
    const refused = await access.gate.authorize(second.key, "features:read", { rows: 1 });
    expect(denial(refused)).toMatchObject({ status: 429, reason: "rate_limited" });
    expect((denial(refused) as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.limits).toHaveLength(1);
    expect(await remaining(account.id, "rows")).toBe(7);
  });

  it("spends a batch's rows all or nothing, and refunds the other dimension on refusal", async () => {
    const { account, key } = await signup();
    const auth = await access.gate.authorize(key.key, "datasets:read");
    if (!auth.ok) throw new Error("authorized");
    expect(denial(await access.gate.spend(auth.principal, { rows: 7 }))).toBeNull();
    expect(denial(await access.gate.spend(auth.principal, { rows: 4 }))).toMatchObject({
      status: 429,
      reason: "quota_exceeded",
    });
    expect(await remaining(account.id, "rows")).toBe(3);
    expect((await access.gate.spend(auth.principal, { rows: 1, downloads: 1 })).ok).toBe(true);
    // Downloads are used up, so this refusal must give back the 2 rows it took first.
    const refused = await access.gate.spend(auth.principal, { rows: 2, downloads: 1 });
    expect(refused.limits.map((l) => [l.policy.name, l.allowed])).toEqual([
      ["rows", true],
      ["downloads", false],
    ]);
    expect(denial(refused)).toMatchObject({ status: 429, reason: "quota_exceeded" });
    expect(await remaining(account.id, "rows")).toBe(2);
    expect(await remaining(account.id, "downloads")).toBe(0);
  });

  it("refuses a cost larger than a whole window for good (403, no wait helps) and names the tiers it fits", async () => {
    const { account, key } = await signup();
    const auth = await access.gate.authorize(key.key, "datasets:read");
    if (!auth.ok) throw new Error("authorized");
    expect(denial(await access.gate.spend(auth.principal, { rows: 11, downloads: 1 }))).toEqual({
      status: 403,
      reason: "exceeds_quota",
      oversize: { unit: "rows", needed: 11, limit: 10, tiers: ["pro", "admin"] },
    });
    expect(denial(await access.gate.admit(auth.principal, { rows: 2_000_000 }))).toMatchObject({
      status: 403,
      oversize: { tiers: ["admin"] },
    });
    // Nothing was spent: the whole window is still there.
    expect(await remaining(account.id, "rows")).toBe(10);
    expect(await remaining(account.id, "downloads")).toBe(1);
  });

  it("settles bytes after the fact as far as the day's quota goes, so the next download is refused", async () => {
    const { account, key } = await signup();
    const auth = await access.gate.authorize(key.key, "datasets:read");
    if (!auth.ok) throw new Error("authorized");
    expect((await access.gate.spend(auth.principal, { downloads: 1, bytes: 1 })).ok).toBe(true);
    await access.gate.settle(auth.principal, { bytes: 2_000 });
    // 2,001 bytes were sent against a quota of 1,000: it is used up, not refused after the fact.
    expect(await remaining(account.id, "bytes")).toBe(0);
    const next = await access.gate.spend(auth.principal, { bytes: 1 });
    expect(denial(next)).toMatchObject({ status: 429, reason: "quota_exceeded" });
    expect(next.limits.find((l) => !l.allowed)?.policy.name).toBe("bytes");
    const [today] = (await access.gate.usage({ ...auth.principal }, 1)).history;
    expect(today).toMatchObject({ downloads: 1, bytes: 2_001 });
  });

  it("lets the unlimited admin tier through without limits or headers", async () => {
    const admin = await access.accounts.create({ email: `gate-admin-${n++}@example.com`, tier: "admin" });
    const { key } = await access.keys.create(admin.id, { scopes: ["admin"] }).then((k) => ({ key: k }));
    for (let i = 0; i < 10; i++) {
      const result = await access.gate.authorize(key.key, "datasets:read", { rows: 1_000_000, downloads: 5 });
      expect(result).toMatchObject({ ok: true, limits: [] });
    }
  });

  it("keeps daily usage history, counting refusals", async () => {
    const { account, key } = await signup();
    for (let i = 0; i < 5; i++) await access.gate.authorize(key.key, "features:read", { rows: 2 });
    await access.usage.flush();
    await access.gate.authorize(key.key, "features:read");
    const report = await access.gate.usage({
      accountId: account.id,
      keyId: key.info.id,
      tier: "free",
      scopes: [],
    });
    expect(report.limits).toEqual({
      requests: 3,
      rows: 10,
      downloads: 1,
      bytes: 1_000,
      bytes_per_second: 4 * 1024 ** 2,
    });
    // The day the counts were stored under, by the gate's own clock.
    const [stored] = await db.sql<{ day: string }[]>`
      select day::text from usage_daily where account_id = ${account.id}`;
    expect(report.history).toEqual([
      {
        day: stored?.day,
        requests: 3,
        rows: 6,
        downloads: 0,
        bytes: 0,
        rejected: 3,
      },
    ]);
    const [counts] =
      await db.sql`select requests, rows, rejected from usage_daily where account_id = ${account.id}`;
    expect(counts).toEqual({ requests: "3", rows: "6", rejected: "2" });
  });

  it("limits anonymous signups per client address: accounts created, and attempts with a higher bound", async () => {
    const allowed = async (address: string) =>
      (await access.gate.signup(address)).limits.every((limit) => limit.allowed);
    const created = [];
    for (let i = 0; i < 7; i++) created.push(await allowed("203.0.113.9"));
    expect(created).toEqual([true, true, true, true, true, false, false]);
    expect(await allowed("203.0.113.10")).toBe(true);
    // Attempts that create nothing give their account back; past 30 an hour, every attempt waits.
    const failed = [];
    for (let i = 0; i < 31; i++) {
      const admitted = await access.gate.signup("203.0.113.11");
      failed.push(admitted.limits.every((limit) => limit.allowed));
      await admitted.release();
    }
    expect(failed.filter(Boolean)).toHaveLength(30);
    expect(failed.at(-1)).toBe(false);
  });
});
