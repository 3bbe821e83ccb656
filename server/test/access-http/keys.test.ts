import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SCOPES } from "../../src/access/scopes";
import { type AccessApp, startAccessApp } from "./app";

let t: AccessApp;
beforeAll(async () => {
  t = await startAccessApp();
});
afterAll(() => t?.close());

const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;
type Key = {
  id: string;
  key?: string;
  status: string;
  scopes: string[];
  expires_at: string | null;
  prefix: string;
};

describe("POST /v1/signup", () => {
  const from = (client: string) => ({ "x-forwarded-for": `192.0.2.1, ${client}` });

  it("creates a free account and shows its first key once", async () => {
    const res = await t.call("POST", "/v1/signup", {
      body: { email: " Ada@Example.com ", name: "Ada" },
      headers: from("198.51.100.10"),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await json<{ account: Record<string, unknown>; key: Key }>(res);
    expect(body.account).toMatchObject({
      email: "ada@example.com",
      name: "Ada",
      tier: "free",
      disabled: false,
    });
    expect(body.key).toMatchObject({ status: "active", scopes: [...DEFAULT_SCOPES], expires_at: null });
    expect(body.key.key).toMatch(/^rapfs_[1-9A-HJ-NP-Za-km-z]{30,}$/);
    t.issued.push(body.key.key as string);
    expect(body.key.key?.startsWith(body.key.prefix.replace("…", ""))).toBe(true);

    const listed = await t.call("GET", "/v1/keys", { key: body.key.key as string });
    expect(listed.status).toBe(200);
    const { keys } = await json<{ keys: Key[] }>(listed);
    expect(keys.map((k) => k.id)).toEqual([body.key.id]);
    expect(keys[0]).not.toHaveProperty("key");
  });

  it("refuses a bad email with 400 and a taken one with 409", async () => {
    const bad = await t.call("POST", "/v1/signup", {
      body: { email: "nope" },
      headers: from("198.51.100.11"),
    });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ code: "VALIDATION_FAILED", errors: [{ pointer: "#/email" }] });
    const missing = await t.call("POST", "/v1/signup", { body: {}, headers: from("198.51.100.11") });
    expect(missing.status).toBe(400);
    const taken = await t.call("POST", "/v1/signup", {
      body: { email: "ADA@example.com" },
      headers: from("198.51.100.11"),
    });
    expect(taken.status).toBe(409);
    expect(await json(taken)).toMatchObject({ code: "CONFLICT" });
  });

  it("is limited per client address, by the address the trusted proxy saw", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      // The client-supplied part of X-Forwarded-For changes every time and must not matter.
      const res = await t.call("POST", "/v1/signup", {
        body: { email: `limited-${i}@example.com` },
        headers: { "x-forwarded-for": `10.9.9.${i}, 2001:db8:1:2::${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        expect(res.headers.get("ratelimit-policy")).toBe(
          '"signup";q=5;w=3600, "signup_attempts";q=30;w=3600',
        );
      }
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
    const elsewhere = await t.call("POST", "/v1/signup", {
      body: { email: "elsewhere@example.com" },
      headers: from("2001:db8:1:3::1"),
    });
    expect(elsewhere.status).toBe(201);
  });

  it("counts accounts created, not failed attempts: six failures do not stop a seventh, valid signup", async () => {
    const client = from("198.51.100.40");
    const failures = [
      { email: "ADA@example.com" },
      { email: "ada@example.com " },
      { email: "nope" },
      { email: "typo@example" },
      {},
      { email: "x".repeat(300) },
    ];
    for (const body of failures) {
      const res = await t.call("POST", "/v1/signup", { body, headers: client });
      expect([400, 409]).toContain(res.status);
    }
    const valid = await t.call("POST", "/v1/signup", {
      body: { email: "seventh@example.com" },
      headers: client,
    });
    expect(valid.status).toBe(201);
    t.issued.push((await json<{ key: Key }>(valid)).key.key as string);
  });

  it("bounds failed attempts apart, and says which limit this address met", async () => {
    const client = from("198.51.100.41");
    const statuses: number[] = [];
    let refusal: Record<string, unknown> = {};
    for (let i = 0; i < 31; i++) {
      const res = await t.call("POST", "/v1/signup", { body: { email: "nope" }, headers: client });
      statuses.push(res.status);
      if (res.status === 429) refusal = await json(res);
    }
    expect(statuses.slice(0, 30).every((s) => s === 400)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect(refusal).toMatchObject({ code: "RATE_LIMITED", policy: "signup_attempts", limit: 30 });
    expect(refusal.detail).toMatch(/^This network address has tried to sign up 30 times in the last hour/);

    const creator = from("198.51.100.42");
    for (let i = 0; i < 5; i++) {
      const res = await t.call("POST", "/v1/signup", {
        body: { email: `many-${i}@example.com` },
        headers: creator,
      });
      expect(res.status).toBe(201);
    }
    const sixth = await t.call("POST", "/v1/signup", {
      body: { email: "many-5@example.com" },
      headers: creator,
    });
    expect(sixth.status).toBe(429);
    const body = await json(sixth);
    expect(body).toMatchObject({ policy: "signup", limit: 5 });
    expect(body.detail).toMatch(/^This network address has created 5 accounts in the last hour/);
    expect(body.detail).not.toMatch(/account made/);
  });
});

describe("self-service keys", () => {
  it("creates keys with at most the caller's scopes", async () => {
    const { key } = await t.signup("creator@example.com");
    const created = await t.call("POST", "/v1/keys", {
      key,
      body: { name: "notebook", scopes: ["features:read"], expires_in_days: 7 },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const body = await json<Key & { name: string }>(created);
    t.issued.push(body.key as string);
    expect(body).toMatchObject({ name: "notebook", scopes: ["features:read"], status: "active" });
    expect(Date.parse(body.expires_at as string)).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    // The new key cannot manage keys: its scope is features:read only.
    expect((await t.call("GET", "/v1/keys", { key: body.key as string })).status).toBe(403);

    const escalate = await t.call("POST", "/v1/keys", { key, body: { scopes: ["admin"] } });
    expect(escalate.status).toBe(403);
    expect(await json(escalate)).toMatchObject({ code: "FORBIDDEN", errors: [{ pointer: "#/scopes" }] });
    const unknown = await t.call("POST", "/v1/keys", { key, body: { scopes: ["features:write"] } });
    expect(unknown.status).toBe(400);
    const past = await t.call("POST", "/v1/keys", {
      key,
      body: { scopes: ["features:read"], expires_at: "2001-01-01T00:00:00Z" },
    });
    expect(past.status).toBe(400);
    const both = await t.call("POST", "/v1/keys", {
      key,
      body: { scopes: ["features:read"], expires_at: "2099-01-01T00:00:00Z", expires_in_days: 1 },
    });
    expect(both.status).toBe(400);
  });

  it("rotates: a new key at once, the old one until its grace period ends", async () => {
    const { key, keyId } = await t.signup("rotator@example.com");
    const rotated = await t.call("POST", `/v1/keys/${keyId}/rotate`, { key, body: { grace_seconds: 3_600 } });
    expect(rotated.status).toBe(201);
    const body = await json<Key & { previous: Key; grace_seconds: number }>(rotated);
    t.issued.push(body.key as string);
    expect(body.grace_seconds).toBe(3_600);
    expect(body.previous).toMatchObject({ id: keyId, status: "rotating", replaced_by: body.id });
    const graceEnd = Date.parse(body.previous.expires_at as string);
    expect(graceEnd).toBeGreaterThan(Date.now() + 3_500_000);
    expect(graceEnd).toBeLessThanOrEqual(Date.now() + 3_600_000);
    // In its grace period the old key reads, but manages no keys.
    expect((await t.call("GET", "/v1/usage", { key })).status).toBe(200);
    const managing = await t.call("GET", "/v1/keys", { key });
    expect(managing.status).toBe(403);
    expect(await json(managing)).toMatchObject({ code: "FORBIDDEN", reason: "key_rotating" });
    expect((await t.call("GET", "/v1/keys", { key: body.key as string })).status).toBe(200);
    // A rotating key cannot be rotated again (no chains of grace periods).
    expect((await t.call("POST", `/v1/keys/${keyId}/rotate`, { key: body.key as string })).status).toBe(409);

    const now = await t.call("POST", `/v1/keys/${body.id}/rotate`, {
      key: body.key as string,
      body: { grace_seconds: 0 },
    });
    expect(now.status).toBe(201);
    t.issued.push((await json<Key>(now)).key as string);
    expect((await t.call("GET", "/v1/keys", { key: body.key as string })).status).toBe(401);
  });

  it("never rotates a key into more scopes than the caller holds", async () => {
    const { accountId, key } = await t.signup("escalator@example.com");
    const strong = await t.access.keys.create(accountId, { scopes: ["admin"] });
    const res = await t.call("POST", `/v1/keys/${strong.info.id}/rotate`, { key });
    expect(res.status).toBe(403);
    expect((await t.access.keys.get(accountId, strong.info.id)).status).toBe("active");
  });

  it("revokes at once; twice is fine", async () => {
    const { key, keyId } = await t.signup("revoker@example.com");
    const extra = await json<Key>(
      await t.call("POST", "/v1/keys", { key, body: { scopes: ["keys:manage"] } }),
    );
    t.issued.push(extra.key as string);
    const revoked = await t.call("DELETE", `/v1/keys/${keyId}`, { key: extra.key as string });
    expect(revoked.status).toBe(200);
    expect(await json(revoked)).toMatchObject({ id: keyId, status: "revoked" });
    expect((await t.call("GET", "/v1/keys", { key })).status).toBe(401);
    expect((await t.call("DELETE", `/v1/keys/${keyId}`, { key: extra.key as string })).status).toBe(200);
    const { keys } = await json<{ keys: Key[] }>(
      await t.call("GET", "/v1/keys", { key: extra.key as string }),
    );
    expect(keys.map((k) => [k.id, k.status])).toEqual([
      [extra.id, "active"],
      [keyId, "revoked"],
    ]);
  });

  it("bounds a created key's expiry by its creator's", async () => {
    const { accountId } = await t.signup("lineage-expiry@example.com");
    const inAnHour = new Date(Date.now() + 3_600_000);
    const parent = await t.access.keys.create(accountId, {
      scopes: ["keys:manage", "features:read"],
      expiresAt: inAnHour,
    });
    t.issued.push(parent.key);
    const create = async (body: Record<string, unknown>) =>
      json<Key>(
        await t.call("POST", "/v1/keys", { key: parent.key, body: { scopes: ["features:read"], ...body } }),
      );
    // No expiry asked, or a later one: the creator's.
    expect(Date.parse((await create({})).expires_at as string)).toBe(inAnHour.getTime());
    expect(Date.parse((await create({ expires_in_days: 30 })).expires_at as string)).toBe(inAnHour.getTime());
    // An earlier one stands.
    const soon = new Date(Date.now() + 600_000).toISOString();
    expect(Date.parse((await create({ expires_at: soon })).expires_at as string)).toBe(Date.parse(soon));
  });

  it("rotating gives no key that outlives the caller: an expiring key rotating the permanent signup key", async () => {
    const { accountId, keyId: parentId } = await t.signup("rotate-expiry@example.com");
    // A fixed instant, not the clock: only that the successor ends with the caller matters.
    const callerExpiry = new Date("2099-06-01T12:00:00Z");
    const shortLived = await t.access.keys.create(accountId, {
      scopes: [...DEFAULT_SCOPES],
      expiresAt: callerExpiry,
    });
    t.issued.push(shortLived.key);
    const res = await t.call("POST", `/v1/keys/${parentId}/rotate`, {
      key: shortLived.key,
      body: { grace_seconds: 0 },
    });
    expect(res.status).toBe(201);
    const rotated = await json<Key>(res);
    t.issued.push(rotated.key as string);
    expect(Date.parse(rotated.expires_at as string)).toBe(callerExpiry.getTime());
    expect((await t.access.keys.get(accountId, rotated.id)).expiresAt?.getTime()).toBe(
      callerExpiry.getTime(),
    );
  });

  it("a key in its rotation grace cannot create keys or revoke its replacement", async () => {
    const { accountId, key, keyId } = await t.signup("lineage-grace@example.com");
    const rotated = await json<Key>(await t.call("POST", `/v1/keys/${keyId}/rotate`, { key }));
    t.issued.push(rotated.key as string);
    const create = await t.call("POST", "/v1/keys", { key, body: { scopes: ["features:read"] } });
    expect(create.status).toBe(403);
    expect((await t.call("DELETE", `/v1/keys/${rotated.id}`, { key })).status).toBe(403);
    expect((await t.access.keys.get(accountId, rotated.id)).status).toBe("active");
    expect((await t.access.keys.list(accountId)).length).toBe(2);
  });

  it("revokes the keys a key made with it, transitively; descendants=keep spares them; the caller is spared", async () => {
    const { accountId, key: root, keyId: rootId } = await t.signup("lineage-revoke@example.com");
    const make = async (by: string, scopes = ["keys:manage", "features:read"]) => {
      const made = await json<Key>(await t.call("POST", "/v1/keys", { key: by, body: { scopes } }));
      t.issued.push(made.key as string);
      return made;
    };
    const child = await make(root);
    const grandchild = await make(child.key as string);
    const admin = await t.access.keys.create(accountId, { scopes: ["keys:manage", "features:read"] });
    t.issued.push(admin.key);

    const revoked = await t.call("DELETE", `/v1/keys/${child.id}`, { key: admin.key });
    expect(await json(revoked)).toMatchObject({ id: child.id, status: "revoked", descendants_revoked: 1 });
    expect((await t.access.keys.get(accountId, grandchild.id)).status).toBe("revoked");
    expect((await t.call("GET", "/v1/usage", { key: grandchild.key as string })).status).toBe(401);

    const kept = await make(root);
    const keptChild = await make(kept.key as string);
    const spared = await t.call("DELETE", `/v1/keys/${kept.id}?descendants=keep`, { key: admin.key });
    expect(await json(spared)).toMatchObject({ status: "revoked", descendants_revoked: 0 });
    expect((await t.access.keys.get(accountId, keptChild.id)).status).toBe("active");

    // A manual rotation: a newer key the root made revokes the root, and lives on.
    const newer = await make(root);
    const manual = await t.call("DELETE", `/v1/keys/${rootId}`, { key: newer.key as string });
    expect(await json(manual)).toMatchObject({ id: rootId, status: "revoked" });
    expect((await t.call("GET", "/v1/usage", { key: newer.key as string })).status).toBe(200);
  });

  it("rotating keeps the old key's children as the successor's, or revokes them when asked", async () => {
    const { accountId, key: root, keyId: rootId } = await t.signup("lineage-rotate@example.com");
    const admin = await t.access.keys.create(accountId, { scopes: [...DEFAULT_SCOPES] });
    t.issued.push(admin.key);
    const child = await json<Key>(
      await t.call("POST", "/v1/keys", { key: root, body: { scopes: ["features:read"] } }),
    );
    t.issued.push(child.key as string);
    const rotated = await json<Key & { descendants_revoked: number }>(
      await t.call("POST", `/v1/keys/${rootId}/rotate`, { key: admin.key, body: { grace_seconds: 0 } }),
    );
    t.issued.push(rotated.key as string);
    expect(rotated.descendants_revoked).toBe(0);
    expect((await t.access.keys.get(accountId, child.id)).status).toBe("active");
    // Now the successor's: revoking it takes the child too.
    expect(await json(await t.call("DELETE", `/v1/keys/${rotated.id}`, { key: admin.key }))).toMatchObject({
      descendants_revoked: 1,
    });

    const { key: other, keyId: otherId } = await t.signup("lineage-rotate-revoke@example.com");
    const otherChild = await json<Key>(
      await t.call("POST", "/v1/keys", { key: other, body: { scopes: ["features:read"] } }),
    );
    t.issued.push(otherChild.key as string);
    const cut = await json<Key & { descendants_revoked: number }>(
      await t.call("POST", `/v1/keys/${otherId}/rotate`, { key: other, body: { descendants: "revoke" } }),
    );
    t.issued.push(cut.key as string);
    expect(cut.descendants_revoked).toBe(1);
    expect((await t.call("GET", "/v1/usage", { key: otherChild.key as string })).status).toBe(401);
  });

  it("answers 404 for another account's key, and for ids that are no key at all", async () => {
    const mine = await t.signup("mine@example.com");
    const theirs = await t.signup("theirs@example.com");
    for (const [method, path] of [
      ["POST", `/v1/keys/${theirs.keyId}/rotate`],
      ["DELETE", `/v1/keys/${theirs.keyId}`],
      ["DELETE", "/v1/keys/not-a-uuid"],
      ["DELETE", "/v1/keys/00000000-0000-4000-8000-000000000000"],
    ] as const) {
      const res = await t.call(method, path, { key: mine.key });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await json(res)).toMatchObject({ code: "NOT_FOUND" });
    }
    expect((await t.call("GET", "/v1/keys", { key: theirs.key })).status).toBe(200);
  });

  it("never logs a plaintext key", () => {
    expect(t.issued.length).toBeGreaterThan(8);
    const logs = t.rawLogs();
    expect(logs).toContain("api key created");
    for (const key of t.issued) expect(logs).not.toContain(key.slice("rapfs_".length));
  });
});
