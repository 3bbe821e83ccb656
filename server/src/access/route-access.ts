import type { Cost } from "./gate";
import type { Scope } from "./scopes";

/**
 * What a request needs before any handler runs. `scope: null` is any valid key. `unmapped` is a
 * /v1 path no rule covers: refused, so a new route is closed until it is given a rule here.
 */
export type RouteAccess =
  | { kind: "open" }
  | { kind: "metrics" }
  | { kind: "key"; scope: Scope | null; cost: Cost; concurrent: boolean }
  | { kind: "unmapped" };

type Rule = {
  prefix: string;
  scope: Scope | null;
  cost?: (method: string, rest: string) => Cost;
  /**
   * The handler may run while the limits are decided (its response is held until they are), so
   * the online read and the limiter share one Redis round trip. Only for reads whose whole cost
   * is known up front: nothing a refused request would have done may outlive it.
   */
  concurrent?: (method: string) => boolean;
};

/** The only routes served without a key; everything under /v1 not listed here needs one. */
export const OPEN_ROUTES: ReadonlyArray<{ method: string; path: string }> = [
  { method: "GET", path: "/health" },
  { method: "GET", path: "/ready" },
  { method: "GET", path: "/docs" },
  { method: "GET", path: "/openapi.json" },
  { method: "POST", path: "/v1/signup" },
];

/** Open unless RAPFS_METRICS_TOKEN is set; then the token or an admin key. */
export const METRICS_PATH = "/metrics";

// A single-entity lookup is one row, due with its request; batches, searches and downloads spend
// theirs in their use case (through the request's Payer) once the request is validated and its
// size known — a download's use case also knows whether it is a retry already charged today,
// which the guard cannot.
const oneRowPerGet = (method: string): Cost => (method === "GET" ? { rows: 1 } : {});
const isGet = (method: string) => method === "GET";

/** Path prefix → scope: the one place that decides who may call what. */
export const SCOPE_RULES: readonly Rule[] = [
  { prefix: "/v1/features", scope: "features:read", cost: oneRowPerGet, concurrent: isGet },
  { prefix: "/v1/embeddings", scope: "embeddings:read", cost: oneRowPerGet, concurrent: isGet },
  // The catalog is what a features:read key needs to know what to ask for (and `rapfs codegen`).
  { prefix: "/v1/registry", scope: "features:read" },
  { prefix: "/v1/datasets", scope: "datasets:read" },
  { prefix: "/v1/keys", scope: "keys:manage" },
  { prefix: "/v1/usage", scope: null },
  { prefix: "/v1/admin", scope: "admin" },
];

const API_ROOT = "/v1";

/** Classifies a request by method and routed path (the same decoded path Hono routes on). */
export function routeAccess(method: string, path: string): RouteAccess {
  const verb = method.toUpperCase() === "HEAD" ? "GET" : method.toUpperCase();
  // Lowercased so that a case-insensitive router could never route around a rule.
  const lower = path.toLowerCase();
  if (OPEN_ROUTES.some((r) => r.method === verb && r.path === lower)) return { kind: "open" };
  if (lower === METRICS_PATH && verb === "GET") return { kind: "metrics" };
  if (!isUnder(lower, API_ROOT)) return { kind: "open" };
  for (const rule of SCOPE_RULES) {
    if (isUnder(lower, rule.prefix)) {
      return {
        kind: "key",
        scope: rule.scope,
        cost: rule.cost?.(verb, lower.slice(rule.prefix.length)) ?? {},
        concurrent: rule.concurrent?.(verb) ?? false,
      };
    }
  }
  return { kind: "unmapped" };
}

function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}
