import type { ErrorCode } from "../api/errors/codes";

/** One problem with a request field: `["features", 2]`, or a row of an upload: `["rows", 41, "event_timestamp"]`. */
export type DatasetIssue = { path: (string | number)[]; detail: string };

/**
 * A request the datasets module cannot serve, with the API error code it maps to; the CLI
 * prints the same message. `detail` names every problem, so one round trip shows them all.
 */
export class DatasetError extends Error {
  override name = "DatasetError";
  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly issues: DatasetIssue[] = [],
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

/** Joins up to `max` messages into one detail line, saying how many more there are. */
export function summarize(messages: string[], max = 5): string {
  const shown = messages.slice(0, max).join("; ");
  return messages.length > max ? `${shown}; and ${messages.length - max} more` : shown;
}
