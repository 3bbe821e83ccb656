import { z } from "@hono/zod-openapi";
import { type ErrorCode, errorCodeList, type FieldError } from "../../errors";

export const FieldErrorSchema = z
  .object({
    in: z
      .enum(["json", "query", "param", "header", "cookie", "form"])
      .openapi({ description: "Which part of the request holds the field" }),
    path: z
      .array(z.union([z.string(), z.number()]))
      .openapi({ description: "Path of the field inside that part", example: ["ids", 3] }),
    pointer: z
      .string()
      .openapi({ description: "The same path as a JSON Pointer (RFC 6901)", example: "#/ids/3" }),
    detail: z.string().openapi({ example: "Expected string, received number" }),
    code: z.string().openapi({ description: "Validator issue code", example: "invalid_type" }),
  })
  .openapi("FieldError");

/** RFC 9457 problem details, plus `code`, `request_id` and, for field problems, `errors`. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "/docs/problems#problem-validation-failed" }),
    title: z.string().openapi({ example: "The request failed validation" }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string().openapi({ example: "2 fields are not valid" }),
    instance: z.string().openapi({ description: "The request path", example: "/v1/features/track/batch" }),
    code: z.enum(errorCodeList).openapi({ description: "Stable machine-readable error code" }),
    request_id: z.string().openapi({ description: "Also in the x-request-id header" }),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .catchall(z.unknown())
  .openapi("Problem");

export type Problem = z.infer<typeof ProblemSchema>;
// The schema documents the domain's FieldError exactly.
FieldErrorSchema satisfies z.ZodType<FieldError>;

/** The problem `type` URI: a relative reference to the code's entry on the docs page. */
export function problemType(code: ErrorCode): string {
  return `/docs/problems#problem-${code.toLowerCase().replaceAll("_", "-")}`;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
