import type { IncomingMessage } from "node:http";
import { type Payer, presentedKey, type RouteAccess, routeAccess } from "../../usecases";
import { unstorableText } from "../../values/unstorable-text";
import type { HttpDependencies } from "../env";
import { problemFor } from "../errors";
import type { FeatureCodec } from "../features/codec";
import { route } from "../routes/features/get";
import { FeatureSelectionQuerySchema, LOOKUP_LENGTHS, type SelectionInput } from "../routes/features/schemas";
import { KeptAnswers } from "./kept-answers";
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
 * middleware chain) cost more than the lookup itself. Parse, one call (the admission door the
 * access guard opens, around the route's own use case, `features.lookup`), write; the route's
 * file stays the contract and answers everything this lane declines.
 *
 * A hot lookup is answered from memory: its finished body is kept by URL, and served again, with
 * the key authenticated and its request and row spent as always, while the lookup says nothing
 * it read has changed (`reread`: its rows still in the near cache, which drops a row as soon as
 * Redis reports a change to it). With the key verified recently and quota units leased, that
 * answer is sent without waiting for anything (`serveHeld`): no promise, no Redis.
 */
export function featureLookupLane(deps: LaneDependencies): Lane {
  const { useCases, codec } = deps;
  const kept = new KeptAnswers<Answer>();
  /** The route's own use case, and its 200 as sent. */
  const lookUp = async (target: LookupTarget, rule: RouteAccess, payer: Payer): Promise<Answer> => {
    const selection = codec.selection(target.selection, "query");
    const { entity, id } = target;
    const lookup = await useCases.features.lookup({ entity, id, selection }, payer);
    const body = Buffer.from(codec.featureVectorJson(entity, lookup.table));
    return { target, rule, body, headers: lookup.resolution.headers, reread: lookup.reread };
  };
  return {
    mirrors: {
      context: "LaneExchange: the request id, bound to the logger",
      observe: "LaneExchange.send records the request as observe does",
      access: "admission.serve: the door the access guard opens",
      body: "takes no request with a body",
      jsonDepth: "takes no request with a body",
    },
    answer: async (req, res) => {
      const url = req.url ?? "";
      const known = isBodilessGet(req) ? kept.get(url) : undefined;
      const target = known?.target ?? lookupTarget(req);
      const rule = known?.rule ?? (target && routeAccess("GET", target.path));
      if (!target || rule?.kind !== "key" || !rule.concurrent) return false;
      const presented = presentedKey((name) => headerOf(req, name));
      const exchange = new LaneExchange(deps, req, res, ROUTE, target.path);
      const entry = { presented, rule, address: "unknown" } as const;
      const held = known && useCases.admission.serveHeld(entry, () => (known.reread?.() ? known : undefined));
      if (held) {
        exchange.json(200, held.result.body, held.result.headers, held.headers);
        return true;
      }
      const served = await useCases.admission.serve(entry, async (payer) => {
        if (known?.reread && (await useCases.features.reuse(known.reread, payer))) return known;
        if (known) kept.drop(url);
        const answer = await lookUp(target, rule, payer);
        if (answer.reread) kept.keep(url, answer);
        return answer;
      });
      // Not admitted: nothing was spent; the app answers (and counts failures by the client's address).
      if (!served) return false;
      const { result, headers } = served;
      if (result instanceof Error) exchange.problem(problemFor(result, exchange.logger), headers);
      else exchange.json(200, result.body, result.headers, headers);
      return true;
    },
  };
}

/** A lookup's 200 as sent: its body, and the resolution's headers (each request adds its own). */
type Answer = {
  target: LookupTarget;
  rule: RouteAccess;
  body: Buffer;
  headers: Record<string, string>;
  /** Present on a lookup that can tell it still holds (SingleLookup.reread): only those are kept. */
  reread: (() => boolean) | undefined;
};

type LookupTarget = { path: string; entity: string; id: string; selection: SelectionInput };
const isSelectionParam = (name: string): name is keyof SelectionInput =>
  (SELECTION_PARAMS as string[]).includes(name);

/**
 * The request's entity, id and selection when it is a plain GET of this route that the app's
 * validation would pass unchanged: no body, no percent-encoding in the path, `features` or
 * `service` given once and within the schema's lengths. Anything else is the app's.
 */
function lookupTarget(req: IncomingMessage): LookupTarget | undefined {
  if (!isBodilessGet(req) || !req.url?.startsWith(PREFIX)) return undefined;
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

function isBodilessGet(req: IncomingMessage): boolean {
  return req.method === "GET" && !req.headers["content-length"] && !req.headers["transfer-encoding"];
}

/** The value as the app's query parser reads it; undefined for what the app's validation refuses (a NUL). */
function decodeQueryValue(raw: string): string | undefined {
  if (!raw.includes("%") && !raw.includes("+")) return raw;
  try {
    const value = decodeURIComponent(raw.replaceAll("+", " "));
    return unstorableText(value) ? undefined : value;
  } catch {
    return undefined;
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
