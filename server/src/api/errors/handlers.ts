import type { Hook } from "@hono/zod-openapi";
import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { isConnectionError } from "../../db/connection-errors";
import { codeForStatus, DomainError, type FieldError, fieldError } from "../../errors";
import type { Logger } from "../../log/logger";
import type { AppEnv } from "../env";
import { OutageLog } from "./outage-log";
import { type ProblemInput, problemResponse } from "./respond";
import { unstorableTextFields } from "./unstorable-text";

type Target = FieldError["in"];

export function fieldErrors(target: Target, error: ZodError): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment));
    return fieldError(target, path, issue.message, issue.code);
  });
}

/**
 * The zod-openapi hook for every route: a failed validation, or valid input with text that
 * SQL cannot take as it is (a NUL byte, a lone surrogate), becomes a 400 listing each field.
 */
export const validationHook: Hook<unknown, AppEnv, string, Response | undefined> = (result, c) => {
  const errors = result.success
    ? unstorableTextFields(result.target as Target, result.data)
    : fieldErrors(result.target as Target, result.error);
  if (errors.length === 0) return undefined;
  const names = [...new Set(errors.map(fieldName))];
  const detail = `${errors.length === 1 ? "1 problem" : `${errors.length} problems`} in the request ${
    result.target
  }: ${names.join(", ")}`;
  return problemResponse(c, { code: "VALIDATION_FAILED", detail, errors });
};

/** A field by its path; an unknown name (`limt=5`, an extra key) by what the issue says of it. */
const fieldName = (e: FieldError) =>
  e.path.length > 0 ? e.path.join(".") : e.code === "unrecognized_keys" ? e.detail : `(${e.in})`;

const GENERIC_INTERNAL = "An unexpected error occurred. Quote the request id when reporting it.";

/** Everything thrown that is not a validation failure ends here. */
export const onError: ErrorHandler<AppEnv> = (error, c) =>
  problemResponse(c, problemFor(error, c.get("logger")));

/**
 * What a thrown error tells the client. Failures that are not the client's are logged with their
 * stack (a deliberate 5xx is in the access log already; its cause, if any, is not).
 */
export function problemFor(error: Error, logger: Logger | undefined): ProblemInput {
  if (error instanceof DomainError) {
    if (error.status >= 500 && error.cause !== undefined) logFailure(logger, error);
    return {
      code: error.code,
      detail: error.message,
      errors: error.errors,
      extensions: error.extensions,
      headers: error.headers,
    };
  }
  if (error instanceof HTTPException && error.status < 500) {
    const malformed = error.status === 400 && /malformed/i.test(error.message);
    const code = malformed ? "MALFORMED_JSON" : codeForStatus(error.status);
    return { code, detail: error.message || defaultDetail(error.status) };
  }
  logFailure(logger, error);
  // Losing PostgreSQL is an outage to retry through, not a bug: 503 until the pool reconnects.
  if (isConnectionError(error)) {
    return {
      code: "UNAVAILABLE",
      detail: "The database cannot be reached; retry shortly.",
      headers: { "retry-after": "1" },
    };
  }
  return { code: "INTERNAL_ERROR", detail: GENERIC_INTERNAL };
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  // The path is not echoed: a crafted one would come back in the body, from this origin.
  problemResponse(c, { code: "NOT_FOUND", detail: `There is no route for ${c.req.method} at this path.` });

function defaultDetail(status: number): string {
  return status === 413 ? "The request body exceeds the size limit." : "The request could not be processed.";
}

/** This process's database losses: one error line per window, however many requests fail with it. */
const databaseLost = new OutageLog();

function logFailure(logger: Logger | undefined, error: Error): void {
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const fields = {
    error: error.message,
    error_name: error.name,
    stack: error.stack,
    ...(cause ? { cause: cause.message, cause_stack: cause.stack } : {}),
  };
  if (isConnectionError(error)) databaseLost.error(logger, "request failed", fields);
  else logger?.error("request failed", fields);
}
