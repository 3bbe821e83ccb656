import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Logger } from "../../log/logger";
import type { Metrics } from "../../metrics/registry";
import { type StreamOutcome, tapped } from "../../values/stream-end";
import type { AppEnv } from "../env";

// Probes and scrapes arrive every few seconds, failing ones too (a 503 /ready while starting):
// above debug level they would drown the access log.
const QUIET_ROUTES = new Set(["/health", "/ready", "/metrics"]);

/** What the access log and metrics say of a request its client closed before it was answered (nginx's). */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * RED metrics by route pattern and one structured access-log line per request. A file (a
 * download, `Content-Disposition: attachment`) is logged when its body ends, with how it ended:
 * its status was sent before the first byte, and a download failing mid-stream is not a 200.
 */
export function observe(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    let gone = false;
    try {
      await next();
    } catch (error) {
      if (!c.req.raw.signal.aborted) throw error;
      // The client went away mid-work (an abandoned card): @hono/node-server aborts the request's
      // signal with a string, which Hono's error handling passes over, and it became a 500.
      c.res = new Response(null, { status: CLIENT_CLOSED_REQUEST });
      gone = true;
    }
    const request = { method: c.req.method, route: routePattern(c), path: c.req.path, status: c.res.status };
    const record = (ending: Partial<AnsweredRequest> = {}) =>
      recordRequest(c.get("metrics"), c.get("logger"), {
        ...request,
        seconds: (performance.now() - started) / 1000,
        ...ending,
      });
    if (gone) return record({ outcome: "aborted", bytes: 0 });
    const { body } = c.res;
    if (!body || !c.res.headers.get("content-disposition")?.startsWith("attachment")) return record();
    const length = c.res.headers.get("content-length");
    c.res = new Response(
      tapped(
        body,
        (outcome, bytes, error) =>
          record({
            outcome,
            bytes,
            ...(error === undefined ? {} : { error: (error as Error).message ?? String(error) }),
          }),
        length === null ? undefined : Number(length),
      ),
      c.res,
    );
  };
}

export type AnsweredRequest = {
  method: string;
  route: string;
  path: string;
  status: number;
  seconds: number;
  /** How a file's body ended: sent whole, abandoned by the client, or failed on the server. */
  outcome?: StreamOutcome;
  bytes?: number;
  /** Why a body failed on the server. */
  error?: string;
};

/** The request's RED metrics and its access-log line (for the lanes outside Hono too). */
export function recordRequest(metrics: Metrics, logger: Logger, request: AnsweredRequest): void {
  const { method, route, path, status, seconds, outcome, bytes, error } = request;
  const labels = { method, route, status: String(status) };
  metrics.httpRequests.inc(labels);
  metrics.httpDuration.observe(labels, seconds);
  const fields = {
    method,
    route,
    path,
    status,
    duration_ms: Math.round(seconds * 100_000) / 100,
    ...(outcome ? { outcome, bytes } : {}),
    ...(error ? { error } : {}),
  };
  if (QUIET_ROUTES.has(route)) logger.debug("request", fields);
  // A 503 asks the client to retry (every slot taken, not ready yet, the database away): a state
  // of the service, not a bug. A lost database's cause is logged at error where it was thrown.
  else if (status === 503 && outcome !== "failed") logger.warn("request", fields);
  else if (status >= 500 || outcome === "failed") logger.error("request", fields);
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
