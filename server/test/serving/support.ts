import { expect } from "vitest";
import type { z } from "zod";
import { generateKey } from "../../src/access/api-key-format";
import { type Problem, ProblemSchema } from "../../src/api/errors";
import type { Config } from "../../src/config/env";
import { noProgress } from "../../src/log/progress";
import { type RunningServer, startServer } from "../../src/runtime/start-server";
import { createServing } from "../../src/serving";
import { capturingLogger, testConfig } from "../api/harness";
import { preparedDataDir } from "../support/prepared-data";

export const SCALE = 0.01;
export const SEED = 7;
// The shipped qwen_analysis@1 sunsets at the end of 2026-12-31; serving runs on a clock pinned
// before that, so the deprecation tests keep their meaning after the date has passed.
export const PINNED_NOW = Date.parse("2026-06-01T00:00:00Z");
/** The operator key the test server provisions (RAPFS_ADMIN_KEY); every call presents it. */
export const ADMIN_KEY = generateKey().key;

/**
 * The real server (startServer with the default data preparation: corpus at scale 0.01, the
 * shipped definitions applied and materialized, the online store synced when Redis is given),
 * in-process on a loopback port; `call` sends requests to it over HTTP, so the lanes in front of
 * the app (api/lanes) answer what they take, as in production.
 */
export async function startServing(
  options: {
    redisUrl?: string;
    keyPrefix?: string;
    env?: Record<string, string>;
    /** Another corpus scale than SCALE (its own prepared fixture). */
    scale?: number;
    config?: Partial<Config>;
    /** False: returns as soon as it listens, its data preparation still going on. */
    awaitPrepared?: boolean;
  } = {},
): Promise<RunningServer> {
  const { logger } = capturingLogger();
  const scale = options.scale ?? SCALE;
  const config = {
    ...testConfig(),
    host: "127.0.0.1",
    port: 0,
    redisUrl: options.redisUrl,
    corpus: { scale, seed: SEED },
    ...options.config,
  };
  const running = await startServer({
    config,
    env: { ...process.env, RAPFS_ADMIN_KEY: ADMIN_KEY, ...options.env },
    logger,
    handleSignals: false,
    progress: noProgress,
    ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
    // The corpus this server would generate, applied and materialized: start skips all three.
    loadDataDir: await preparedDataDir({ scale, seed: SEED }),
  });
  if (options.awaitPrepared === false) return running;
  await running.prepared;
  const { services } = running;
  services.serving = createServing({
    sql: services.sql,
    onlineStore: services.onlineStore,
    logger,
    now: () => PINNED_NOW,
    inMemorySearch: true,
  });
  return running;
}

export type Call = { status: number; headers: Headers; body: unknown };

export async function call(
  server: RunningServer,
  path: string,
  init?: RequestInit & { json?: unknown },
): Promise<Call> {
  const { json, ...rest } = init ?? {};
  const headers: Record<string, string> = {
    authorization: `Bearer ${ADMIN_KEY}`,
    ...(json === undefined ? {} : { "content-type": "application/json" }),
  };
  new Headers(rest.headers).forEach((value, name) => {
    headers[name] = value;
  });
  const request: RequestInit =
    json === undefined
      ? { ...rest, headers }
      : { method: "POST", ...rest, headers, body: JSON.stringify(json) };
  const res = await fetch(`${server.url}${path}`, request);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** A 200 whose body the route's own schema accepts; returns the parsed body. */
export function ok<S extends z.ZodType>(res: Call, schema: S): z.infer<S> {
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${JSON.stringify(res.body)}`);
  return schema.parse(res.body);
}

/** A problem+json with the given status (and code, when given). */
export function problem(res: Call, status: number, code?: string): Problem {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const parsed = ProblemSchema.parse(res.body);
  if (code) expect(parsed.code).toBe(code);
  return parsed;
}
