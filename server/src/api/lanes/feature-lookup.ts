import type { IncomingMessage } from "node:http";
import type { Cost } from "../../access/gate";
import { routeAccess } from "../../access/route-access";
import { type Principal, presentedKey } from "../../access/verifier";
import { denialError } from "../access/denial";
import { rateLimitFields } from "../access/headers";
import type { Services } from "../env";
import { problemFor } from "../errors";
import { type FeatureLookup, lookupFeatures } from "../features/lookup";
import { route } from "../routes/features/get";
import { FeatureSelectionQuerySchema, LOOKUP_LENGTHS, type SelectionInput } from "../routes/features/schemas";
import { type Lane, LaneExchange } from "./lane";

// The route's own path, as Hono labels it (`/v1/features/:entity/:id`) in metrics and logs.
const ROUTE = route.path.replaceAll(/\{(\w+)\}/g, ":$1");
const PREFIX = "/v1/features/";
// The query parameters the route's own schema reads; the others it ignores, and so does the lane.
const SELECTION_PARAMS = Object.keys(FeatureSelectionQuerySchema.shape) as (keyof SelectionInput)[];

/**
 * GET /v1/features/{entity}/{id}, the lookup a model server makes per prediction, answered
 * without the Hono app: its framework work (context, zod validation, Headers objects, the
 * middleware chain) cost more than the lookup itself. The route's own file stays the contract
 * and answers everything this lane declines.
 */
export function featureLookupLane(services: Services): Lane {
  return async (req, res) => {
    const lookup = await prepare(services, req).catch(() => undefined);
    if (!lookup) return false;
    // Taken: from here the request spends its quota and is answered here, whatever happens.
    await answer(services, lookup, new LaneExchange(services, req, res, ROUTE, lookup.target.path));
    return true;
  };
}

type Lookup = {
  target: LookupTarget;
  principal: Principal;
  cost: Cost;
  lookup: FeatureLookup;
};

/**
 * Everything that can refuse the request without spending: the target, the key, the
 * selection and the id. Undefined (or a throw, a database failure included) declines it.
 */
async function prepare(services: Services, req: IncomingMessage): Promise<Lookup | undefined> {
  const target = lookupTarget(req);
  if (!target) return undefined;
  const rule = routeAccess("GET", target.path);
  if (rule.kind !== "key" || !rule.concurrent) return undefined;
  const presented = presentedKey((name) => headerOf(req, name));
  if (services.access.gate.mayRefuseByAddress(presented)) return undefined;
  const identity = await services.access.gate.authenticate(presented, rule.scope);
  if (!identity.ok) return undefined;
  const lookup = await lookupFeatures(services, target);
  return { target, principal: identity.principal, cost: rule.cost, lookup };
}

/** Spends while reading (as the app's guard does for this route), then answers. */
async function answer(services: Services, lookup: Lookup, exchange: LaneExchange): Promise<void> {
  const { principal, lookup: features } = lookup;
  const admission = services.access.gate.admit(principal, lookup.cost).catch(asError);
  const body = await features.read().catch(asError);
  const result = await admission;
  if (result instanceof Error) return exchange.problem(problemFor(result, exchange.logger));
  const limitHeaders = rateLimitFields(result.limits);
  if (!result.ok) {
    const denial = denialError(result.denial, {
      tier: principal.tier,
      limits: result.limits,
      metrics: services.metrics,
    });
    return exchange.problem(problemFor(denial, exchange.logger), limitHeaders);
  }
  if (body instanceof Error) return exchange.problem(problemFor(body, exchange.logger), limitHeaders);
  exchange.json(200, body, { ...features.headers, ...limitHeaders });
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

type LookupTarget = { path: string; entity: string; id: string; selection: SelectionInput };
const isSelectionParam = (name: string): name is keyof SelectionInput =>
  (SELECTION_PARAMS as string[]).includes(name);

/**
 * The request's entity, id and selection when it is a plain GET of this route that the app's
 * validation would pass unchanged: no body, no percent-encoding in the path, `features` or
 * `service` given once and within the schema's lengths. Anything else is the app's.
 */
function lookupTarget(req: IncomingMessage): LookupTarget | undefined {
  if (req.method !== "GET" || !req.url?.startsWith(PREFIX)) return undefined;
  if (req.headers["content-length"] || req.headers["transfer-encoding"]) return undefined;
  const question = req.url.indexOf("?");
  const path = question < 0 ? req.url : req.url.slice(0, question);
  if (path.includes("%")) return undefined;
  const [entity, id, ...rest] = path.slice(PREFIX.length).split("/");
  if (!entity || !id || rest.length > 0) return undefined;
  if (entity.length > LOOKUP_LENGTHS.entity || id.length > LOOKUP_LENGTHS.id) return undefined;
  const selection: SelectionInput = {};
  for (const pair of question < 0 ? [] : req.url.slice(question + 1).split("&")) {
    const equals = pair.indexOf("=");
    const name = equals < 0 ? pair : pair.slice(0, equals);
    if (name.includes("%") || name.includes("+")) return undefined;
    if (!isSelectionParam(name)) continue;
    if (selection[name] !== undefined) return undefined;
    const value = decodeQueryValue(equals < 0 ? "" : pair.slice(equals + 1));
    if (value === undefined || value.length > LOOKUP_LENGTHS[name]) return undefined;
    selection[name] = value;
  }
  return { path, entity, id, selection };
}

function decodeQueryValue(raw: string): string | undefined {
  if (!raw.includes("%") && !raw.includes("+")) return raw;
  try {
    return decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    return undefined;
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
