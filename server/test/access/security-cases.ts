import { describe, expect, it } from "vitest";
import type { AccessServices } from "../../src/access/access-services";
import { generateKey } from "../../src/access/api-key-format";
import { SCOPES, type Scope } from "../../src/access/scopes";

export type SecurityCaseTarget = {
  /** Sends the route's request with these headers (a valid body, params and query otherwise). */
  send(headers: Record<string, string>): Response | Promise<Response>;
  access: AccessServices;
  /** null: any valid key may call the route, so there is no wrong scope to try. */
  scope: Scope | null;
};

type Case = {
  name: string;
  status: 401 | 403;
  headers(t: SecurityCaseTarget): Promise<Record<string, string>>;
};

let n = 0;
async function account(t: SecurityCaseTarget, scopes?: Scope[]) {
  const { account, key } = await t.access.accounts.signup({
    email: `security-${process.pid}-${n++}@example.com`,
  });
  if (!scopes) return { account, key: key.key, keyId: key.info.id };
  const created = await t.access.keys.create(account.id, { scopes });
  return { account, key: created.key, keyId: created.info.id };
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const CASES: Case[] = [
  { name: "no key", status: 401, headers: async () => ({}) },
  { name: "an empty bearer token", status: 401, headers: async () => ({ authorization: "Bearer " }) },
  {
    name: "another auth scheme",
    status: 401,
    headers: async () => ({ authorization: "Basic dXNlcjpwYXNz" }),
  },
  { name: "a malformed key", status: 401, headers: async () => bearer("rapfs_0OIl<script>") },
  { name: "an unknown key", status: 401, headers: async () => bearer(generateKey().key) },
  {
    name: "an unknown key in x-api-key",
    status: 401,
    headers: async () => ({ "x-api-key": generateKey().key }),
  },
  {
    name: "a revoked key",
    status: 401,
    headers: async (t) => {
      const a = await account(t);
      await t.access.keys.revoke(a.account.id, a.keyId);
      return bearer(a.key);
    },
  },
  {
    name: "an expired key",
    status: 401,
    headers: async (t) => {
      const a = await account(t, t.scope ? [t.scope] : undefined);
      await t.access.keys.rotate(a.account.id, a.keyId, { graceSeconds: 0 });
      return bearer(a.key);
    },
  },
  {
    name: "a key of a disabled account",
    status: 401,
    headers: async (t) => {
      const a = await account(t, t.scope ? [t.scope] : undefined);
      await t.access.accounts.disable(a.account.id);
      return bearer(a.key);
    },
  },
  {
    name: "a key without the route's scope",
    status: 403,
    headers: async (t) =>
      bearer((await account(t, [SCOPES.find((s) => s !== t.scope && s !== "admin") as Scope])).key),
  },
];

/**
 * The security cases every authenticated route must pass: refusals are problem+json, and all
 * 401s carry the same detail whatever the reason, so no response reveals whether a key exists.
 */
export function describeAuthenticatedRoute(name: string, target: () => SecurityCaseTarget): void {
  describe(`${name} refuses`, () => {
    const details = new Map<number, Set<string>>();

    it.each(CASES)("$name with $status problem+json", async (c) => {
      const t = target();
      if (c.status === 403 && t.scope === null) return;
      const headers = await c.headers(t);
      const response = await t.send(headers);
      expect(response.status).toBe(c.status);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="rapfs"/);
      const body = await response.text();
      const problem = JSON.parse(body) as { status: number; detail: string; code: string };
      expect(problem.status).toBe(c.status);
      const presented = Object.values(headers)
        .join(" ")
        .replace(/^Bearer /, "");
      if (presented.length > 8) expect(body).not.toContain(presented);
      const seen = details.get(c.status) ?? new Set();
      seen.add(`${problem.code}: ${problem.detail}`);
      details.set(c.status, seen);
    });

    it("with one and the same 401 for every reason", () => {
      expect([...(details.get(401) ?? [])]).toEqual(["UNAUTHORIZED: The API key is missing or not valid."]);
    });
  });
}
