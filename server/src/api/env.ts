import type { OpenAPIHono } from "@hono/zod-openapi";
import type { LimitResult } from "../access/limiter";
import type { AccessServices } from "../access/services";
import type { Principal } from "../access/verifier";
import type { Config } from "../config/env";
import type { Sql } from "../db/database";
import type { Logger } from "../log/logger";
import type { Metrics } from "../metrics/registry";
import type { OnlineStore } from "../online/types";
import type { Readiness } from "../runtime/readiness";
import type { Serving } from "../serving";

/**
 * Everything a handler may use, injected per app (never imported as singletons), so tests build
 * an app over their own database, Redis prefix and metrics registry. Later parts add their
 * services here (feature registry, key verifier, rate limiter, …).
 */
export type Services = {
  config: Config;
  logger: Logger;
  sql: Sql;
  /** Read-through online store: Redis or the in-process LRU, falling back to Postgres. */
  onlineStore: OnlineStore;
  metrics: Metrics;
  readiness: Readiness;
  /** Feature and embedding lookups over the cached registry catalog. */
  serving: Serving;
  /** API keys, accounts, scopes and quotas; the app-level guard uses it on every /v1 request. */
  access: AccessServices;
};

export type AppEnv = {
  Variables: {
    services: Services;
    requestId: string;
    /** The services' logger with this request's id bound. */
    logger: Logger;
    /** The caller, set by the access guard on every authenticated route. */
    principal: Principal;
    /** Every quota policy checked so far in this request, for the RateLimit headers. */
    rateLimits: LimitResult[];
  };
};

export type App = OpenAPIHono<AppEnv>;
