import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { AppEnv, HttpDependencies } from "../env";
import { FeatureCodec } from "../features/codec";

export const REQUEST_ID_HEADER = "x-request-id";
// Bounded and plain so a client-chosen id can neither bloat nor forge log lines.
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:=-]{1,128}$/;

/** The client's request id when acceptable, else a new UUID. */
export function requestIdOf(sent: string | undefined): string {
  return sent && ACCEPTED_REQUEST_ID.test(sent) ? sent : randomUUID();
}

/** Binds the use cases, the request id (the client's if acceptable, else a new UUID) and a logger. */
export function requestContext(deps: HttpDependencies): MiddlewareHandler<AppEnv> {
  const codec = deps.codec ?? new FeatureCodec();
  return async (c, next) => {
    const requestId = requestIdOf(c.req.header(REQUEST_ID_HEADER));
    c.set("useCases", deps.useCases);
    c.set("codec", codec);
    c.set("metrics", deps.metrics);
    c.set("requestId", requestId);
    c.set("logger", deps.logger.child({ request_id: requestId }));
    // Every answer, problems included: a browser never guesses another type than the one sent.
    const always: [string, string][] = [
      [REQUEST_ID_HEADER, requestId],
      ["x-content-type-options", "nosniff"],
    ];
    for (const [name, value] of always) c.header(name, value);
    try {
      await next();
    } catch (error) {
      // Hono hands only Error instances to onError; anything else thrown would escape as a crash.
      if (error instanceof Error) throw error;
      throw new Error(`non-Error value thrown: ${String(error)}`);
    }
    // A handler may have returned a Response built without the context's headers.
    for (const [name, value] of always) {
      if (c.res.headers.has(name)) continue;
      try {
        c.res.headers.set(name, value);
      } catch {
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set(name, value);
      }
    }
  };
}
