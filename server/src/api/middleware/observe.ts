import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Logger } from "../../log/logger";
import type { Metrics } from "../../metrics/registry";
import type { AppEnv } from "../env";

// Probes and scrapes arrive every few seconds, failing ones too (a 503 /ready while starting):
// above debug level they would drown the access log.
const QUIET_ROUTES = new Set(["/health", "/ready", "/metrics"]);

/** RED metrics by route pattern and one structured access-log line per request. */
export function observe(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    recordRequest(c.get("services").metrics, c.get("logger"), {
      method: c.req.method,
      route: routePattern(c),
      path: c.req.path,
      status: c.res.status,
      seconds,
    });
  };
}

export type AnsweredRequest = {
  method: string;
  route: string;
  path: string;
  status: number;
  seconds: number;
};

/** The request's RED metrics and its access-log line (for the lanes outside Hono too). */
export function recordRequest(metrics: Metrics, logger: Logger, request: AnsweredRequest): void {
  const { method, route, path, status, seconds } = request;
  const labels = { method, route, status: String(status) };
  metrics.httpRequests.inc(labels);
  metrics.httpDuration.observe(labels, seconds);
  const fields = { method, route, path, status, duration_ms: Math.round(seconds * 100_000) / 100 };
  if (QUIET_ROUTES.has(route)) logger.debug("request", fields);
  else if (status >= 500) logger.error("request", fields);
  else logger.info("request", fields);
}

/** The pattern of the route that answered (`/v1/features/:entity/:id`), never the raw path. */
function routePattern(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== "ALL") return route.path;
  }
  return "unmatched";
}
