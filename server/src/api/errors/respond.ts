import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorCode, errorCodes, type FieldError } from "../../errors";
import { PROBLEM_CONTENT_TYPE, type Problem, problemType } from "./problem";

export type ProblemInput = {
  code: ErrorCode;
  detail: string;
  errors?: FieldError[] | undefined;
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
};

/** Where a problem happened: its request's path and id. */
export type ProblemSite = { path: string; requestId: string };

export function buildProblem(c: Context, input: ProblemInput): Problem {
  return problemAt({ path: c.req.path, requestId: (c.get("requestId") as string | undefined) ?? "" }, input);
}

/** The problem document for a request outside Hono (the lanes) as for one inside. */
export function problemAt(site: ProblemSite, input: ProblemInput): Problem {
  const { status, title } = errorCodes[input.code];
  return {
    ...input.extensions,
    type: problemType(input.code),
    title,
    status,
    detail: input.detail,
    instance: site.path,
    code: input.code,
    request_id: site.requestId,
    ...(input.errors ? { errors: input.errors } : {}),
  };
}

/** An `application/problem+json` response; headers already set on the context are kept. */
export function problemResponse(c: Context, input: ProblemInput): Response {
  const problem = buildProblem(c, input);
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, {
    ...input.headers,
    "content-type": PROBLEM_CONTENT_TYPE,
  });
}
