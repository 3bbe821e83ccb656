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

  json(status: number, body: string | Buffer, headers: Record<string, string>): void {
    this.send(status, body, { ...headers, "content-type": "application/json" });
  }

  problem(input: ProblemInput, headers: Record<string, string> = {}): void {
    const problem = problemAt({ path: this.path, requestId: this.requestId }, input);
    const body = JSON.stringify(problem);
    this.send(problem.status, body, { ...headers, ...input.headers, "content-type": PROBLEM_CONTENT_TYPE });
  }

  private send(status: number, body: string | Buffer, headers: Record<string, string>): void {
    // Names in lower case, as the app's Fetch Headers send them (a client may match them exactly).
    const names: string[] = [];
    for (const [name, value] of Object.entries(headers)) names.push(name.toLowerCase(), value);
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
