import { DomainError, type FieldError, fieldError, plural } from "../errors";
import type { IngestTable } from "./columns";

/** One bad field of one row (`field` null: the row itself), or of the batch (`index` null). */
export type RowProblem = {
  table: IngestTable | null;
  index: number | null;
  field: string | null;
  /** A key inside a JSON field (analysis_data's `joy`). */
  key?: string;
  detail: string;
  code: string;
};

const TABLE_RANK: Record<IngestTable, number> = { tracks: 1, analyses: 2 };

/** Enough to fix a batch in one pass without a response the size of the batch. */
const MAX_LISTED = 1_000;

export function problemPath(problem: RowProblem): (string | number)[] {
  const path: (string | number)[] = [];
  if (problem.table !== null) path.push(problem.table);
  if (problem.index !== null) path.push(problem.index);
  if (problem.field !== null) path.push(problem.field);
  if (problem.key !== undefined) path.push(problem.key);
  return path;
}

/** `analyses[3].track_id` */
export function problemPlace(problem: RowProblem): string {
  const row = problem.index === null ? "" : `[${problem.index}]`;
  const field =
    problem.field === null ? "" : `.${problem.field}${problem.key === undefined ? "" : `.${problem.key}`}`;
  return `${problem.table ?? "batch"}${row}${field}`;
}

/** The refusal of a batch: every problem (up to a thousand) with its pointer; nothing was written. */
export function batchRefused(found: RowProblem[]): DomainError {
  // Row by row in the batch's order (the batch's own problems first); sort is stable, so a row's
  // own problems stay before the database's.
  const rank = (p: RowProblem) => (p.table === null ? 0 : TABLE_RANK[p.table]) * 1e9 + (p.index ?? -1) + 1;
  const problems = found.slice().sort((a, b) => rank(a) - rank(b));
  const rows = new Set(problems.map((p) => `${p.table}:${p.index}`)).size;
  const listed = problems.slice(0, MAX_LISTED);
  const errors: FieldError[] = listed.map((p) => fieldError("json", problemPath(p), p.detail, p.code));
  const places = listed.slice(0, 5).map(problemPlace).join(", ");
  const more = problems.length > 5 ? ", …" : "";
  const shown = problems.length > MAX_LISTED ? ` (the first ${MAX_LISTED} are listed)` : "";
  return new DomainError(
    "VALIDATION_FAILED",
    `${plural(problems.length, "problem")} in ${plural(rows, "row")}${shown}: ${places}${more}. Nothing was written.`,
    { errors },
  );
}
