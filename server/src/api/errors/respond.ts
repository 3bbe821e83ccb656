import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type ErrorCode, errorCodes, problemType } from "./codes";
import { type FieldError, PROBLEM_CONTENT_TYPE, type Problem } from "./problem";

export type ProblemInput = {
  code: ErrorCode;
  detail: string;
  errors?: FieldError[] | undefined;
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
};

export function buildProblem(c: Context, input: ProblemInput): Problem {
  const { status, title } = errorCodes[input.code];
  return {
    ...input.extensions,
    type: problemType(input.code),
    title,
    status,
    detail: input.detail,
    instance: c.req.path,
    code: input.code,
    request_id: (c.get("requestId") as string | undefined) ?? "",
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
