import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "../log/logger";
import type { Metrics } from "../metrics/registry";
import type { Payer, UseCases } from "../usecases";
import type { FeatureCodec } from "./features/codec";

/**
 * What the HTTP layer is given (never imported as singletons): the use cases, and the logger and
 * metrics every request reports to. Tests build an app over their own.
 */
export type HttpDependencies = {
  useCases: UseCases;
  logger: Logger;
  metrics: Metrics;
  /** Reads feature selections from requests and writes feature bodies, reusing what it can; shared with the lane. */
  codec?: FeatureCodec;
};

export type AppEnv = {
  Variables: {
    useCases: UseCases;
    codec: FeatureCodec;
    metrics: Metrics;
    requestId: string;
    /** The dependencies' logger with this request's id bound. */
    logger: Logger;
    /** The caller and its quota, set by the access guard on every authenticated route. */
    payer: Payer;
  };
};

export type App = OpenAPIHono<AppEnv>;

/** Adds a route (or a few) to the app; `useCases` is there for what the route document needs. */
export type RegisterRoutes = (app: App, useCases: UseCases) => void;
