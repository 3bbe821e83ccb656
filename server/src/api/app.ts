import { getRequestListener } from "@hono/node-server";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { accessGuard } from "./access/guard";
import { documentAccess } from "./access/openapi";
import type { App, AppEnv, HttpDependencies, RegisterRoutes } from "./env";
import { notFound, onError, validationHook } from "./errors";
import { type Lane, withLanes } from "./lanes/lane";
import { hasOwnBodyLimit, requestBody } from "./middleware/body";
import { requestContext } from "./middleware/context";
import { jsonDepthLimit, MAX_JSON_VALUES } from "./middleware/json-depth";
import { observe } from "./middleware/observe";
import { registerAccessRoutes } from "./routes/access";
import { registerConsole } from "./routes/console";
import { registerDocs } from "./routes/docs";
import { registerHealth } from "./routes/health";
import { registerMetrics } from "./routes/metrics";
import { registerReady } from "./routes/ready";

export type CreateAppOptions = {
  /** Hot requests answered on Node's request before the app (the lookup lane), each mirroring every middleware below. */
  lanes?: readonly Lane[];
  /** Largest accepted request body; larger ones get a 413 problem. */
  maxBodyBytes?: number;
  /** Registers more routes: the feature, embedding, registry and dataset routes. */
  routes?: RegisterRoutes[];
};

/** A new OpenAPIHono with the error module wired in; for the app and for route tests alike. */
export function newApp(): App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(onError);
  app.notFound(notFound);
  return app;
}

/**
 * The app's middleware, in order, by name: a lane declares how it mirrors each one (Lane.mirrors),
 * so a middleware added here cannot be skipped by the hottest route without a word.
 */
function appMiddleware(app: App, deps: HttpDependencies, options: CreateAppOptions) {
  return {
    context: requestContext(deps),
    observe: observe(),
    // Before the body limit: an anonymous caller learns nothing, not even that a body is too large.
    access: accessGuard(),
    // Routes with a documented limit of their own mark themselves (ownBodyLimit) as they register.
    body: requestBody(app, options.maxBodyBytes ?? 10 * 1024 * 1024),
    // Within the size limit; a route with a limit of its own checks depth after it (jsonDepthLimit).
    jsonDepth: jsonDepthLimit({ skip: (c) => hasOwnBodyLimit(app, c), maxValues: MAX_JSON_VALUES }),
  } satisfies Record<string, MiddlewareHandler<AppEnv>>;
}

export type AppMiddleware = keyof ReturnType<typeof appMiddleware>;

/** The app, and Node's request listener: the lanes named here (each a mirror of the middleware), then the app. */
export function createApp(deps: HttpDependencies, options: CreateAppOptions = {}): App {
  const app = newApp();
  for (const middleware of Object.values(appMiddleware(app, deps, options))) app.use("*", middleware);

  registerHealth(app);
  registerReady(app);
  registerMetrics(app);
  registerAccessRoutes(app);
  for (const register of options.routes ?? []) register(app, deps.useCases);
  documentAccess(app);
  registerDocs(app);
  registerConsole(app);
  return app;
}

/** Node's request listener for an app: each lane in turn, then the app. */
export function createListener(deps: HttpDependencies, options: CreateAppOptions = {}) {
  const app = createApp(deps, options);
  return { app, listener: withLanes(options.lanes ?? [], getRequestListener(app.fetch), deps.logger) };
}
