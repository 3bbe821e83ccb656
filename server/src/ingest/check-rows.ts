import type { z } from "zod";
import { DomainError } from "../errors";
import { parseTimestamp } from "../values/timestamps";
import { unstorableText } from "../values/unstorable-text";
import { INGEST_TABLES, type IngestTable, MAX_BATCH_ROWS } from "./columns";
import type { RowProblem } from "./problems";
import { AnalysisInputSchema, TrackInputSchema } from "./row-schemas";

/** A row that passed every check that needs no database; `createdAt` in epoch microseconds. */
export type CheckedRow = { index: number; values: Record<string, unknown>; createdAt: number | undefined };

export type CheckedBatch = { tracks: CheckedRow[]; analyses: CheckedRow[]; problems: RowProblem[] };

const SCHEMAS: Record<IngestTable, z.ZodType> = { tracks: TrackInputSchema, analyses: AnalysisInputSchema };

/**
 * Checks a batch's shape and every row against its table's columns, without the database:
 * problems for the bad fields (one per field), the good rows for the rest. A batch over
 * MAX_BATCH_ROWS is refused at once.
 */
export function checkRows(batch: unknown): CheckedBatch {
  const problems: RowProblem[] = [];
  const checked: CheckedBatch = { tracks: [], analyses: [], problems };
  if (batch === null || typeof batch !== "object" || Array.isArray(batch)) {
    problems.push(
      batchProblem(null, 'must be an object: { "tracks"?: [...], "analyses": [...] }', "invalid_type"),
    );
    return checked;
  }
  const body = batch as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!(key in INGEST_TABLES))
      problems.push({ ...batchProblem(null, "is not accepted", "unrecognized_keys"), field: key });
  }
  const lists = { tracks: body.tracks ?? [], analyses: body.analyses ?? [] };
  let rows = 0;
  for (const table of ["tracks", "analyses"] as const) {
    if (Array.isArray(lists[table])) rows += lists[table].length;
    else problems.push(batchProblem(table, "must be an array of rows", "invalid_type"));
  }
  refuseOversizeBatch(rows);
  if (rows === 0 && problems.length === 0)
    problems.push(batchProblem("analyses", "has no rows", "too_small"));
  for (const table of ["tracks", "analyses"] as const) {
    const list = lists[table];
    if (!Array.isArray(list)) continue;
    list.forEach((row, index) => {
      const found = checkRow(table, row, index);
      // A loop, not a spread: a row's problems come from untrusted keys, and spreading millions
      // of them overflowed the call stack (a 500).
      for (const problem of found) problems.push(problem);
      if (found.length === 0) checked[table].push(checkedRow(row as Record<string, unknown>, index));
    });
  }
  return checked;
}

/** A batch's rows, counted before anything else reads them (undefined: not a batch's shape). */
export function batchRowCount(batch: unknown): number | undefined {
  if (batch === null || typeof batch !== "object" || Array.isArray(batch)) return undefined;
  const { tracks, analyses } = batch as Record<string, unknown>;
  return (Array.isArray(tracks) ? tracks.length : 0) + (Array.isArray(analyses) ? analyses.length : 0);
}

export function refuseOversizeBatch(rows: number): void {
  if (rows <= MAX_BATCH_ROWS) return;
  throw new DomainError(
    "PAYLOAD_TOO_LARGE",
    `The batch has ${rows.toLocaleString("en-US")} rows; one takes at most ${MAX_BATCH_ROWS.toLocaleString("en-US")} ` +
      "(tracks and analyses together). Split it into several requests.",
  );
}

function batchProblem(table: IngestTable | null, detail: string, code: string): RowProblem {
  return { table, index: null, field: null, detail, code };
}

function checkedRow(values: Record<string, unknown>, index: number): CheckedRow {
  const stamp = values.created_at;
  return { index, values, createdAt: typeof stamp === "string" ? parseTimestamp(stamp) : undefined };
}

/** A row with more bad fields than this is reported with its first ones and a count of the rest. */
export const MAX_PROBLEMS_PER_ROW = 20;

function checkRow(table: IngestTable, row: unknown, index: number): RowProblem[] {
  const problems: RowProblem[] = [];
  const bad = new Set<string>();
  let more = 0;
  const add = (field: string | null, detail: string, code: string) => {
    if (bad.has(field ?? "")) return;
    bad.add(field ?? "");
    if (problems.length < MAX_PROBLEMS_PER_ROW) problems.push({ table, index, field, detail, code });
    else more++;
  };
  const finish = () => {
    if (more > 0)
      problems.push({
        table,
        index,
        field: null,
        detail: `and ${more} more bad fields`,
        code: "too_many_problems",
      });
    return problems;
  };
  if (row !== null && typeof row === "object" && !Array.isArray(row)) {
    for (const [field, value] of Object.entries(row)) {
      const problem = textProblem(value);
      if (problem) add(field, problem.detail, problem.code);
    }
  }
  const result = SCHEMAS[table].safeParse(row);
  if (result.success) return finish();
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      const columns = INGEST_TABLES[table].table;
      for (const key of issue.keys) add(key, `is not a column of ${columns}`, "unrecognized_keys");
      continue;
    }
    const [field, ...inside] = issue.path;
    const where = inside.length > 0 ? ` (at ${inside.map(String).join("/")})` : "";
    add(field === undefined ? null : String(field), `${issue.message}${where}`, issue.code);
  }
  return finish();
}

/**
 * What PostgreSQL cannot store anywhere in a value, JSON included: a NUL byte, a lone surrogate
 * (values/unstorable-text), a number that is not finite.
 */
function textProblem(value: unknown): { detail: string; code: string } | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === "string") {
      const why = unstorableText(node);
      if (why) return { detail: `must not contain ${why.holds}`, code: why.code };
    } else if (typeof node === "number") {
      if (!Number.isFinite(node)) return { detail: "holds a number that is not finite", code: "not_finite" };
    } else if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
    } else if (node !== null && typeof node === "object") {
      for (const [key, item] of Object.entries(node)) stack.push(key, item);
    }
  }
  return undefined;
}
