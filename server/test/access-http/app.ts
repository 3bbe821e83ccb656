import { type AccessServices, createAccessServices } from "../../src/access/access-services";
import { generateKey } from "../../src/access/api-key-format";
import { loadAccessConfig } from "../../src/access/config";
import { observeAccess } from "../../src/access/observe";
import { createApp } from "../../src/api/app";
import type { App } from "../../src/api/env";
import type { Database } from "../../src/db/database";
import { httpDependencies } from "../../src/runtime/compose";
import { dropPrefix, sharedRedis, uniquePrefix } from "../access/support";
import { createTestApp } from "../api/harness";
import { openEmbeddedTestDatabase } from "../support/databases";

export const TEST_TIERS = { free: { requests: 30, rows: 50, downloads: 2, bytes: 1_000_000 } };

export type AccessApp = {
  app: App;
  access: AccessServices;
  db: Database;
  adminKey: string;
  /** Every plaintext key a test saw, for the no-plaintext-in-logs check. */
  issued: string[];
  rawLogs: () => string;
  quotaRejections: () => Promise<string>;
  call(
    method: string,
    path: string,
    options?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Signs up over HTTP (from a fresh client address) and returns the account id and key. */
  signup(email: string): Promise<{ accountId: string; key: string; keyId: string }>;
  close(): Promise<void>;
};

let clients = 0;

/**
 * The real app over embedded PGlite (every migration), limits on the shared Redis under a
 * prefix of its own, a RAPFS_ADMIN_KEY, one trusted proxy hop and small free-tier quotas.
 */
export async function startAccessApp(
  options: { env?: Record<string, string>; routes?: Array<(app: App) => void> } = {},
): Promise<AccessApp> {
  const db = await openEmbeddedTestDatabase();
  const prefix = uniquePrefix();
  const redis = sharedRedis();
  const adminKey = generateKey().key;
  const base = createTestApp(db);
  const config = loadAccessConfig({
    RAPFS_REDIS_PREFIX: prefix,
    RAPFS_ADMIN_KEY: adminKey,
    RAPFS_TRUSTED_PROXY_HOPS: "1",
    RAPFS_TIERS: JSON.stringify(TEST_TIERS),
    ...options.env,
  });
  const access = await createAccessServices({ sql: db.sql, redis, config, logger: base.services.logger });
  const services = { ...base.services, access };
  observeAccess(access, services.metrics, services.readiness);
  const app = createApp(httpDependencies(services), { routes: options.routes ?? [] });
  const issued: string[] = [adminKey];

  const call: AccessApp["call"] = async (method, path, { key, body, headers } = {}) =>
    app.request(path, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  return {
    app,
    access,
    db,
    adminKey,
    issued,
    rawLogs: base.rawLogs,
    quotaRejections: () => services.metrics.registry.getSingleMetricAsString("rapfs_quota_rejections_total"),
    call,
    async signup(email) {
      const res = await call("POST", "/v1/signup", {
        body: { email },
        headers: { "x-forwarded-for": `10.0.0.1, 203.0.113.${clients++ % 250}` },
      });
      if (res.status !== 201) throw new Error(`signup: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { account: { id: string }; key: { key: string; id: string } };
      issued.push(body.key.key);
      return { accountId: body.account.id, key: body.key.key, keyId: body.key.id };
    },
    async close() {
      await access.close();
      await dropPrefix(redis, prefix);
      redis.disconnect();
      await db.close();
    },
  };
}
