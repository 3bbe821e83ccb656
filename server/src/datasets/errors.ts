import { DomainError, type ErrorCode, fieldError } from "../errors";

/** One problem with a request field: `["features", 2]`, or a row of an upload: `["rows", 41, "event_timestamp"]`. */
export type DatasetIssue = { path: (string | number)[]; detail: string };

// Issues about these fields point into the query string; an upload's rows have no pointer there.
const QUERY_FIELDS = new Set(["features", "service", "embeddings", "dataset", "as_of", "limit"]);

/**
 * A request the datasets module cannot serve; the CLI prints the same message. `detail` names
 * every problem, so one round trip shows them all.
 */
export function datasetError(
  code: ErrorCode,
  detail: string,
  issues: DatasetIssue[] = [],
  extensions: Record<string, unknown> = {},
): DomainError {
  const errors = issues
    .filter((issue) => QUERY_FIELDS.has(String(issue.path[0])))
    .map((issue) => fieldError("query", issue.path, issue.detail, code.toLowerCase()));
  return new DomainError(code, detail, { errors: errors.length > 0 ? errors : undefined, extensions });
}

/** Joins up to `max` messages into one detail line, saying how many more there are. */
export function summarize(messages: string[], max = 5): string {
  const shown = messages.slice(0, max).join("; ");
  return messages.length > max ? `${shown}; and ${messages.length - max} more` : shown;
}
