import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../log/logger";
import type { AppMiddleware } from "../app";
import type { HttpDependencies } from "../env";
import { type ProblemInput, problemAt } from "../errors";
import { PROBLEM_CONTENT_TYPE } from "../errors/problem";
import { REQUEST_ID_HEADER, requestIdOf } from "../middleware/context";
import { recordRequest } from "../middleware/observe";

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A lane answers one hot request shape straight on Node's request, without the Hono app, or
 * declines it (resolves false) before it has spent or written anything; the app then answers it
 * whole. Lanes take only requests they answer exactly as the app would (same body, headers,
 * quota spend, metrics and access log); anything unusual, failing or refused before the spend is
 * the app's, so its validation and errors stay in one place.
 */
export type Lane = {
  /** How the lane does what each of the app's middleware does: a middleware added to the app does not compile until every lane says. */
  mirrors: Record<AppMiddleware, string>;
  answer(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
};

/** Node's request listener: each lane in turn, then the app. */
export function withLanes(lanes: readonly Lane[], app: NodeListener, logger: Logger): NodeListener {
  if (lanes.length === 0) return app;
  const next = async (req: IncomingMessage, res: ServerResponse) => {
    for (const lane of lanes) if (await lane.answer(req, res)) return;
    app(req, res);
  };
  return (req, res) => {
    next(req, res).catch((error: unknown) => {
      // A lane answers its own failures; this is a bug in one, and the client still gets an answer.
      logger.error("lane failed", { error: (error as Error).message, stack: (error as Error).stack });
      if (res.headersSent) return res.destroy();
      const path = (req.url ?? "/").split("?")[0] as string;
      const problem = problemAt(
        { path, requestId: "" },
        { code: "INTERNAL_ERROR", detail: "The request failed." },
      );
      res
        .writeHead(500, { "content-type": PROBLEM_CONTENT_TYPE, "x-content-type-options": "nosniff" })
        .end(JSON.stringify(problem));
    });
  };
}

/** One lane request from the moment it is taken: its id, logger, and the way it is answered. */
export class LaneExchange {
  readonly requestId: string;
  readonly logger: Logger;
  private readonly started = performance.now();

  constructor(
    private readonly deps: Pick<HttpDependencies, "logger" | "metrics">,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly route: string,
    readonly path: string,
  ) {
    const sent = req.headers[REQUEST_ID_HEADER];
    this.requestId = requestIdOf(typeof sent === "string" ? sent : undefined);
    this.logger = deps.logger.child({ request_id: this.requestId });
  }

  /** A JSON answer; of a header given in more than one set, the last set's value is sent. */
  json(status: number, body: string | Buffer, ...headerSets: Record<string, string>[]): void {
    this.send(status, body, [...headerSets, JSON_TYPE]);
  }

  problem(input: ProblemInput, headers: Record<string, string> = {}): void {
    const problem = problemAt({ path: this.path, requestId: this.requestId }, input);
    const body = JSON.stringify(problem);
    this.send(problem.status, body, [headers, input.headers ?? {}, PROBLEM_TYPE]);
  }

  private send(status: number, body: string | Buffer, headerSets: Record<string, string>[]): void {
    const names = headerList(headerSets);
    names.push("content-length", String(Buffer.byteLength(body)), REQUEST_ID_HEADER, this.requestId);
    names.push("x-content-type-options", "nosniff");
    this.res.writeHead(status, names);
    this.res.end(body);
    recordRequest(this.deps.metrics, this.logger, {
      method: this.req.method ?? "GET",
      route: this.route,
      path: this.path,
      status,
      seconds: (performance.now() - this.started) / 1000,
    });
  }
}

const JSON_TYPE = { "content-type": "application/json" };
const PROBLEM_TYPE = { "content-type": PROBLEM_CONTENT_TYPE };

/**
 * Header sets as Node's flat [name, value, …] list, names in lower case as the app's Fetch
 * Headers send them (a client may match them exactly), a later set's value winning. Built on
 * every answer, so without the objects and entry arrays a merge by spreading makes.
 */
function headerList(headerSets: Record<string, string>[]): string[] {
  const byName = new Map<string, string>();
  for (const set of headerSets) for (const name in set) byName.set(lowerCase(name), set[name] as string);
  const names: string[] = [];
  byName.forEach((value, name) => {
    names.push(name, value);
  });
  return names;
}

/** Header names come from a few constants, so their lower case is made once. */
const lowerNames = new Map<string, string>();
function lowerCase(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerNames.size < 1_000) lowerNames.set(name, lower);
  }
  return lower;
}
