import { type ErrorCode, errorCodes } from "../../errors";
import { PROBLEM_CONTENT_TYPE, ProblemSchema, problemType } from "./problem";

type ErrorResponse = {
  description: string;
  content: {
    [PROBLEM_CONTENT_TYPE]: {
      schema: typeof ProblemSchema;
      examples: Record<string, { summary: string; value: Record<string, unknown> }>;
    };
  };
};

/**
 * The documented error responses of a route, from the same table the server uses. Every route
 * can fail with INTERNAL_ERROR, so it is always included.
 */
export function errorResponses(...codes: ErrorCode[]): Record<number, ErrorResponse> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set<ErrorCode>([...codes, "INTERNAL_ERROR"])) {
    const { status } = errorCodes[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, ErrorResponse> = {};
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: statusCodes.map((code) => `\`${code}\`: ${errorCodes[code].title}`).join("; "),
      content: {
        [PROBLEM_CONTENT_TYPE]: {
          schema: ProblemSchema,
          examples: Object.fromEntries(statusCodes.map((code) => [code, example(code)])),
        },
      },
    };
  }
  return responses;
}

function example(code: ErrorCode) {
  const { status, title } = errorCodes[code];
  return {
    summary: title,
    value: {
      type: problemType(code),
      title,
      status,
      detail: title,
      instance: "/example",
      code,
      request_id: "0b9c6f5e-8d5a-4f7e-9a35-2f1f1c9f0e11",
    },
  };
}
