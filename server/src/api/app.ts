import { OpenAPIHono } from "@hono/zod-openapi";
import { accessGuard } from "./access/guard";
import { documentAccess } from "./access/openapi";
import type { App, AppEnv, HttpDependencies, RegisterRoutes } from "./env";
import { notFound, onError, validationHook } from "./errors";
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

export function createApp(deps: HttpDependencies, options: CreateAppOptions = {}): App {
  const app = newApp();
  app.use("*", requestContext(deps));
  app.use("*", observe());
  // Before the body limit: an anonymous caller learns nothing, not even that a body is too large.
  app.use("*", accessGuard());
  // Routes with a documented limit of their own mark themselves (ownBodyLimit) as they register.
  app.use("*", requestBody(app, options.maxBodyBytes ?? 10 * 1024 * 1024));
  // Within the size limit; a route with a limit of its own checks depth after it (jsonDepthLimit).
  app.use("*", jsonDepthLimit({ skip: (c) => hasOwnBodyLimit(app, c), maxValues: MAX_JSON_VALUES }));

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
