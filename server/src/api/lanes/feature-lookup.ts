import type { IncomingMessage } from "node:http";
import { type Cost, type Principal, presentedKey, routeAccess } from "../../usecases";
import { PRIVATE_RESPONSE, rateLimitFields } from "../access/headers";
import type { HttpDependencies } from "../env";
import { problemFor } from "../errors";
import type { FeatureCodec } from "../features/codec";
import { route } from "../routes/features/get";
import { FeatureSelectionQuerySchema, LOOKUP_LENGTHS, type SelectionInput } from "../routes/features/schemas";
import { type Lane, LaneExchange } from "./lane";

// The route's own path, as Hono labels it (`/v1/features/:entity/:id`) in metrics and logs.
const ROUTE = route.path.replaceAll(/\{(\w+)\}/g, ":$1");
const PREFIX = "/v1/features/";
// The query parameters the route's own schema reads; the others it ignores, and so does the lane.
const SELECTION_PARAMS = Object.keys(FeatureSelectionQuerySchema.shape) as (keyof SelectionInput)[];

type LaneDependencies = HttpDependencies & { codec: FeatureCodec };

/**
 * GET /v1/features/{entity}/{id}, the lookup a model server makes per prediction, answered
 * without the Hono app: its framework work (context, zod validation, Headers objects, the
 * middleware chain) cost more than the lookup itself. It calls the same use case as the route
 * (`features.lookup`, its spend included); the route's file stays the contract and answers
 * everything this lane declines.
 */
export function featureLookupLane(deps: LaneDependencies): Lane {
  return async (req, res) => {
    const taken = await take(deps, req).catch(() => undefined);
    if (!taken) return false;
    // Taken: from here the request spends its quota and is answered here, whatever happens.
    await answer(deps, taken, new LaneExchange(deps, req, res, ROUTE, taken.target.path));
    return true;
  };
}

type Taken = { target: LookupTarget; principal: Principal; due: Cost };

/**
 * The target and an authenticated key, spending nothing. Undefined (or a throw) declines the
 * request: a key that fails goes to the app, which counts failures by the client's address.
 */
async function take(deps: LaneDependencies, req: IncomingMessage): Promise<Taken | undefined> {
  const target = lookupTarget(req);
  if (!target) return undefined;
  const rule = routeAccess("GET", target.path);
  if (rule.kind !== "key" || !rule.concurrent) return undefined;
  const { admission } = deps.useCases;
  const presented = presentedKey((name) => headerOf(req, name));
  if (admission.mayRefuseByAddress(presented)) return undefined;
  const identity = await admission.authenticate(presented, rule.scope);
  return identity.ok ? { target, principal: identity.principal, due: rule.cost } : undefined;
}

/** The use case with the key's Payer, then the answer; a refusal wins over what was read. */
async function answer(deps: LaneDependencies, taken: Taken, exchange: LaneExchange): Promise<void> {
  const { useCases, codec } = deps;
  const { target } = taken;
  const payer = useCases.admission.payer(taken.principal, { due: taken.due });
  const lookup = await (async () => {
    const selection = codec.selection(target.selection, "query");
    return useCases.features.lookup({ entity: target.entity, id: target.id, selection }, payer);
  })().catch(asError);
  const closed = await payer.close().catch(asError);
  const answerHeaders = { ...rateLimitFields(payer.limits), ...PRIVATE_RESPONSE };
  const failure = closed instanceof Error ? closed : lookup instanceof Error ? lookup : undefined;
  if (failure) return exchange.problem(problemFor(failure, exchange.logger), answerHeaders);
  const { resolution, table } = lookup as Exclude<typeof lookup, Error>;
  exchange.json(200, codec.featureVectorJson(target.entity, table), {
    ...resolution.headers,
    ...answerHeaders,
  });
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
