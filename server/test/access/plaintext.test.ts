import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessServices, createAccessServices } from "../../src/access/access-services";
import { generateKey, hashKey } from "../../src/access/api-key-format";
import { loadAccessConfig } from "../../src/access/config";
import { createKeyForEmail } from "../../src/cli/actions/keys";
import { createLogger } from "../../src/log/logger";
import {
  type AccessTestDatabase,
  accessTestDatabase,
  dropPrefix,
  dumpPrefix,
  sharedRedis,
  uniquePrefix,
} from "./support";

const prefix = uniquePrefix();
const redis = sharedRedis();
const logLines: string[] = [];
const channelMessages: string[] = [];
let db: AccessTestDatabase;
let a: AccessServices;
let b: AccessServices;

beforeAll(async () => {
  db = await accessTestDatabase();
  const logger = createLogger("debug", {}, (line) => logLines.push(line));
  const config = { ...loadAccessConfig({ RAPFS_REDIS_PREFIX: prefix, RAPFS_ADMIN_KEY: adminKey }) };
  a = await createAccessServices({ sql: db.sql, redis, config, logger });
  b = await createAccessServices({ sql: db.sql, redis, config, logger });
  const listener = redis.duplicate();
  await listener.subscribe(`${prefix}:access:invalidate`);
  listener.on("message", (_channel: string, message: string) => channelMessages.push(message));
  afterAll(() => listener.disconnect());
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
  await db?.close();
});

const adminKey = generateKey().key;

describe("plaintext keys", () => {
  it("are stored, published and logged nowhere after a full flow", async () => {
    const plaintexts: string[] = [adminKey];
    const signup = await a.accounts.signup({ email: "flow@example.com", name: "Flow" });
    plaintexts.push(signup.key.key);
    const extra = await b.keys.create(signup.account.id, { name: "notebook", scopes: ["datasets:read"] });
    plaintexts.push(extra.key);
    const rotated = await a.keys.rotate(signup.account.id, extra.info.id, { graceSeconds: 60 });
    plaintexts.push(rotated.key);
    const cli = await createKeyForEmail(b, {
      email: "ops@example.com",
      tier: "pro",
      scopes: "features:read",
    });
    plaintexts.push(cli.created.key);

    for (const key of plaintexts) {
      for (const services of [a, b]) {
        const result = await services.gate.authorize(key, "features:read", { rows: 3 });
        expect(result.ok || result.denial.status === 403).toBe(true);
      }
    }
    await a.keys.revoke(signup.account.id, signup.key.info.id);
    await b.accounts.setTier(signup.account.id, "pro");
    expect((await a.gate.authorize(signup.key.key, "features:read")).ok).toBe(false);
    await a.gate.authorize(`${signup.key.key.slice(0, -1)}x`, "features:read");
    await Promise.all([a.usage.flush(), b.usage.flush(), a.lastUsed.flush(), b.lastUsed.flush()]);

    const dump = execFileSync("pg_dump", ["--data-only", "--inserts", db.url], { encoding: "utf8" });
    expect(dump).toContain(hashKey(signup.key.key));
    expect(dump).toContain("flow@example.com");
    const redisDump = await dumpPrefix(redis, prefix);
    expect(redisDump).toContain(signup.account.id);
    expect(channelMessages.length).toBeGreaterThan(0);
    expect(logLines.length).toBeGreaterThan(0);

    for (const key of plaintexts) {
      // Not even the secret part on its own, in case something strips the prefix.
      const secret = key.slice("rapfs_".length);
      for (const [where, text] of [
        ["database", dump],
        ["redis", redisDump],
        ["pub/sub", channelMessages.join("\n")],
        ["logs", logLines.join("\n")],
      ] as const) {
        expect(text.includes(secret), `${where} holds a plaintext key`).toBe(false);
      }
    }
  });
});
