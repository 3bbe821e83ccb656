import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessApp, startAccessApp, TEST_TIERS } from "./app";

let t: AccessApp;
beforeAll(async () => {
  t = await startAccessApp();
});
afterAll(() => t?.close());

type Window = { policy: string; limit: number; remaining: number; reset_seconds: number; window: string };
type Usage = { tier: string; limits: Record<string, number | null>; windows: Window[]; history: unknown[] };
type Account = { id: string; email: string; tier: string; disabled: boolean };

describe("GET /v1/usage", () => {
  it("shows the windows, limits, what remains, resets and the daily history", async () => {
    const { key } = await t.signup("usage@example.com");
    for (let i = 0; i < 3; i++) expect((await t.call("GET", "/v1/keys", { key })).status).toBe(200);
    const res = await t.call("GET", "/v1/usage?days=7", { key });
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit")).toMatch(/^"requests";r=26;/);
    const usage = (await res.json()) as Usage;
    expect(usage).toMatchObject({ tier: "free", limits: TEST_TIERS.free });
    expect(usage.windows.map((w) => [w.policy, w.limit, w.remaining, w.window])).toEqual([
      ["requests", 30, 26, "fixed"],
      ["rows", 50, 50, "utc-day"],
      ["downloads", 2, 2, "utc-day"],
      ["bytes", 1_000_000, 1_000_000, "utc-day"],
    ]);
    for (const w of usage.windows) expect(w.reset_seconds).toBeGreaterThan(0);
    const today = new Date().toISOString().slice(0, 10);
    expect(usage.history).toEqual([
      { day: today, requests: 4, rows: 0, downloads: 0, bytes: 0, rejected: 0 },
    ]);
  });

  it("is open to any valid key, whatever its scopes", async () => {
    const { accountId } = await t.signup("narrow@example.com");
    const narrow = await t.access.keys.create(accountId, { scopes: ["datasets:read"] });
    t.issued.push(narrow.key);
    expect((await t.call("GET", "/v1/usage", { key: narrow.key })).status).toBe(200);
    expect((await t.call("GET", "/v1/usage?days=0", { key: narrow.key })).status).toBe(400);
    expect((await t.call("GET", "/v1/usage?days=1e1", { key: narrow.key })).status).toBe(400);
    expect((await t.call("GET", "/v1/usage")).status).toBe(401);
  });
});

describe("admin", () => {
  it("is refused to keys without the admin scope", async () => {
    const { key, accountId } = await t.signup("not-admin@example.com");
    expect((await t.call("GET", "/v1/admin/accounts", { key })).status).toBe(403);
    const patch = await t.call("PATCH", `/v1/admin/accounts/${accountId}`, { key, body: { tier: "pro" } });
    expect(patch.status).toBe(403);
    expect(patch.headers.get("www-authenticate")).toContain('scope="admin"');
  });

  it("lists accounts page by page", async () => {
    for (let i = 0; i < 3; i++) await t.signup(`page-${i}@example.com`);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res = await t.call("GET", `/v1/admin/accounts?limit=2${after ? `&after=${after}` : ""}`, {
        key: t.adminKey,
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { accounts: Account[]; next_after: string | null };
      expect(page.accounts.length).toBeLessThanOrEqual(2);
      seen.push(...page.accounts.map((a) => a.email));
      after = page.next_after;
    } while (after);
    expect(seen).toEqual(
      expect.arrayContaining(["page-0@example.com", "page-1@example.com", "page-2@example.com"]),
    );
    expect(new Set(seen).size).toBe(seen.length);
    expect((await t.call("GET", "/v1/admin/accounts?limit=5000", { key: t.adminKey })).status).toBe(400);
  });

  it("changes a tier, effective on the account's next request", async () => {
    const { key, accountId } = await t.signup("upgrade@example.com");
    expect((await t.call("GET", "/v1/keys", { key })).headers.get("ratelimit-policy")).toContain("q=30;");
    const res = await t.call("PATCH", `/v1/admin/accounts/${accountId}`, {
      key: t.adminKey,
      body: { tier: "pro" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: accountId, tier: "pro", disabled: false });
    expect((await t.call("GET", "/v1/keys", { key })).headers.get("ratelimit-policy")).toContain("q=6000;");
    const unknown = await t.call("PATCH", `/v1/admin/accounts/${accountId}`, {
      key: t.adminKey,
      body: { tier: "platinum" },
    });
    expect(unknown.status).toBe(400);
    expect(
      (await t.call("PATCH", `/v1/admin/accounts/${accountId}`, { key: t.adminKey, body: {} })).status,
    ).toBe(400);
  });

  it("disables an account (every key stops at once) and enables it again", async () => {
    const { key, accountId } = await t.signup("disabled@example.com");
    const patch = (disabled: boolean) =>
      t.call("PATCH", `/v1/admin/accounts/${accountId}`, { key: t.adminKey, body: { disabled } });
    expect((await t.call("GET", "/v1/keys", { key })).status).toBe(200);
    const off = await patch(true);
    expect(await off.json()).toMatchObject({ disabled: true });
    const refused = await t.call("GET", "/v1/keys", { key });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ detail: "The API key is missing or not valid." });
    expect((await patch(false)).status).toBe(200);
    expect((await t.call("GET", "/v1/keys", { key })).status).toBe(200);
  });

  it("answers 404 for an unknown account and 409 for disabling its own", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "nope"]) {
      const res = await t.call("PATCH", `/v1/admin/accounts/${id}`, {
        key: t.adminKey,
        body: { tier: "pro" },
      });
      expect(res.status).toBe(404);
    }
    const verified = await t.access.verifier.verify(t.adminKey);
    const ownId = verified.ok ? verified.principal.accountId : "";
    const own = await t.call("PATCH", `/v1/admin/accounts/${ownId}`, {
      key: t.adminKey,
      body: { disabled: true },
    });
    expect(own.status).toBe(409);
    expect((await t.call("GET", "/v1/admin/accounts", { key: t.adminKey })).status).toBe(200);
  });
});
