import type { RouteConfig } from "@hono/zod-openapi";
import { type ErrorCode, errorCodes } from "../../errors";
import { routeAccess } from "../../usecases";
import type { App } from "../env";
import { errorResponses } from "../errors";

export const BEARER_SCHEME = "bearerAuth";
export const HEADER_SCHEME = "apiKeyHeader";

const REFUSALS: Record<number, ErrorCode> = { 401: "UNAUTHORIZED", 403: "FORBIDDEN", 429: "RATE_LIMITED" };

const RATE_LIMIT_HEADERS = {
  "RateLimit-Policy": {
    description: 'The quotas that apply, e.g. `"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"`',
    schema: { type: "string" as const },
  },
  RateLimit: {
    description: 'What is left of each and seconds to its reset, e.g. `"requests";r=59;t=41`',
    schema: { type: "string" as const },
  },
};

/**
 * Puts access control into the OpenAPI document from the same table the guard enforces: the two
 * key schemes, each authenticated operation's `security` (the scope as the required role) and its
 * 401/403/429 problem responses. Call after every route is registered.
 */
export function documentAccess(app: App): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent("securitySchemes", BEARER_SCHEME, {
    type: "http",
    scheme: "bearer",
    description: "An API key (`rapfs_…`) as `Authorization: Bearer <key>`. Sign up at POST /v1/signup.",
  });
  registry.registerComponent("securitySchemes", HEADER_SCHEME, {
    type: "apiKey",
    in: "header",
    name: "x-api-key",
    description: "The same API key in the x-api-key header.",
  });
  for (const definition of registry.definitions) {
    if (definition.type !== "route") continue;
    const secured = secure(definition.route);
    if (secured) (definition as { route: RouteConfig }).route = secured;
  }
}

function secure(route: RouteConfig): RouteConfig | undefined {
  const access = routeAccess(route.method, route.path);
  // Open routes say so (`security: []`), or a client would assume the document's default applies.
  if (access.kind === "open") return { ...route, security: [] };
  if (access.kind === "metrics") {
    return { ...route, security: [{}, { [BEARER_SCHEME]: [] }], responses: withRefusals(route, [401]) };
  }
  const roles = access.kind === "key" && access.scope ? [access.scope] : [];
  const responses = withRefusals(route, [401, 403, 429]);
  for (const [status, response] of Object.entries(responses)) {
    // Every success of a key's route carries them, beside the headers the route documents itself.
    if (Number(status) >= 200 && Number(status) < 300 && !("$ref" in response)) {
      const own = response.headers as Record<string, unknown> | undefined;
      responses[status] = {
        ...response,
        headers: { ...RATE_LIMIT_HEADERS, ...own } as typeof response.headers,
      };
    }
  }
  return { ...route, security: [{ [BEARER_SCHEME]: roles }, { [HEADER_SCHEME]: roles }], responses };
}

/** The route's responses plus each refusal, merged with codes the route already lists for that status. */
function withRefusals(route: RouteConfig, statuses: number[]): RouteConfig["responses"] {
  const responses: RouteConfig["responses"] = { ...route.responses };
  for (const status of statuses) {
    const code = REFUSALS[status] as ErrorCode;
    const listed = Object.keys(
      (responses[status] as { content?: Record<string, { examples?: object }> } | undefined)?.content?.[
        "application/problem+json"
      ]?.examples ?? {},
    ).filter((c): c is ErrorCode => c in errorCodes);
    const merged = errorResponses(code, ...listed)[status];
    if (merged) responses[status] = merged;
  }
  return responses;
}
