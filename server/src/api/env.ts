import type { OpenAPIHono } from "@hono/zod-openapi";
import type { LimitResult } from "../access/limiter";
import type { AccessServices } from "../access/services";
import type { Principal } from "../access/verifier";
import type { Config } from "../config/env";
import type { DatasetServices } from "../datasets/services";
import type { Database, Sql } from "../db/database";
import type { Readiness } from "../health/readiness";
import type { Logger } from "../log/logger";
import type { Metrics } from "../metrics/registry";
import type { OnlineStore } from "../online/types";
import type { Serving } from "../serving";
import type { OnlineStoreHealer } from "../serving/online-healer";
import type { FeatureCodec } from "./features/codec";

/**
 * Everything a handler may use, injected per app (never imported as singletons), so tests build
 * an app over their own database, Redis prefix and metrics registry.
 */
export type Services = {
  config: Config;
  logger: Logger;
  sql: Sql;
  /** Downloads, dataset cards and training data: connections that wait behind interactive work. */
  bulkSql: Sql;
  /** Embedded only: COPY FROM a blob inside a transaction on `sql`, for the first start's bulk load. */
  copyFromBlob?: Database["copyFromBlob"];
  /** Read-through online store: Redis or the in-process LRU, falling back to Postgres. */
  onlineStore: OnlineStore;
  metrics: Metrics;
  readiness: Readiness;
  /** Feature and embedding lookups over the cached registry catalog. */
  serving: Serving;
  /** API keys, accounts, scopes and quotas; the app-level guard uses it on every /v1 request. */
  access: AccessServices;
  /** Reads feature selections from requests and writes feature bodies, reusing what it can. */
  featureCodec: FeatureCodec;
  /** Download spool, charges and dataset cards. */
  datasets: DatasetServices;
  /** With Redis: keeps it holding every servable view version (syncs at start, heals lost keys). */
  onlineHealer?: OnlineStoreHealer;
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

/** Adds a route (or a few) to the app; `services` is there for what the route document needs. */
export type RegisterRoutes = (app: App, services: Services) => void;
