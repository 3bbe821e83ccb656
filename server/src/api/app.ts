import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { accessGuard } from "../access/guard";
import { documentAccess } from "../access/openapi";
import type { App, AppEnv, Services } from "./env";
import { ApiError, notFound, onError, validationHook } from "./errors";
import { requestContext } from "./middleware/context";
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
  /** Registers more routes (the feature, embedding, registry and key routes add themselves here). */
  routes?: Array<(app: App) => void>;
};

/** A new OpenAPIHono with the error module wired in; for the app and for route tests alike. */
export function newApp(): App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(onError);
  app.notFound(notFound);
  return app;
}

export function createApp(services: Services, options: CreateAppOptions = {}): App {
  const app = newApp();
  app.use("*", requestContext(services));
  app.use("*", observe());
  // Before the body limit: an anonymous caller learns nothing, not even that a body is too large.
  app.use("*", accessGuard());
  const limitBody = bodyLimit({
    maxSize: options.maxBodyBytes ?? 10 * 1024 * 1024,
    onError: () => {
      throw new ApiError("PAYLOAD_TOO_LARGE", "The request body exceeds the size limit.");
    },
  });
  // Checking a GET's body would build a full fetch Request on every online lookup (~10% of its CPU).
  app.use("*", (c, next) =>
    c.req.method === "GET" || c.req.method === "HEAD" ? next() : limitBody(c, next),
  );

  registerHealth(app);
  registerReady(app);
  registerMetrics(app);
  registerAccessRoutes(app);
  for (const register of options.routes ?? []) register(app);
  documentAccess(app);
  registerDocs(app);
  registerConsole(app);
  return app;
}
