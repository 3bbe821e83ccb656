import type { EntityInfo } from "../../registry";
import { parseTimestamp } from "../../values/timestamps";
import { type DatasetIssue, datasetError, summarize } from "../errors";
import type { ColumnKind, OutputColumn } from "../plan/columns";
import type { TrainingInput } from "../snapshot/snapshot";
import { csvTable, jsonTable, parquetTable, type UploadFormat, type UploadTable } from "./upload-formats";

const TIMESTAMP_COLUMNS = ["event_timestamp", "timestamp"];
const LABEL = "label";
const MAX_ISSUES = 20;

/** Reads and checks an upload of (entity id, timestamp[, label]) rows; every problem names its row. */
export function parseTrainingUpload(
  format: UploadFormat,
  body: unknown,
  entity: EntityInfo,
  maxRows: number,
): TrainingInput {
  const table =
    format === "json"
      ? jsonTable(body)
      : format === "csv"
        ? csvTable(body as Uint8Array)
        : parquetTable(body as Uint8Array);
  return trainingInput(table, entity, maxRows);
}

export function trainingInput(table: UploadTable, entity: EntityInfo, maxRows: number): TrainingInput {
  if (table.rows === 0) throw datasetError("VALIDATION_FAILED", "The upload has no rows.");
  const key = entity.keyColumn;
  const time = table.columns.find((c) => TIMESTAMP_COLUMNS.includes(c));
  const expected = `${key}, event_timestamp and optionally ${LABEL}`;
  const unknown = table.columns.filter((c) => c !== key && c !== time && c !== LABEL);
  const missing = [key, ...(time ? [] : ["event_timestamp"])].filter((c) => !table.columns.includes(c));
  if (unknown.length > 0 || missing.length > 0) {
    const problems = [
      ...missing.map((c) => `column ${c} is missing`),
      ...unknown.map((c) => `column ${c} is not accepted`),
    ];
    throw datasetError(
      "VALIDATION_FAILED",
      `${summarize(problems)}; an upload has the columns ${expected}.`,
      [
        ...missing.map((c) => ({ path: ["columns", c], detail: "is missing" })),
        ...unknown.map((c) => ({ path: ["columns", c], detail: "is not accepted" })),
      ],
    );
  }
  refuseTooManyRows(table.rows, maxRows);

  const issues: DatasetIssue[] = [];
  const problem = (row: number, column: string, detail: string) => {
    if (issues.length < MAX_ISSUES)
      issues.push({ path: ["rows", row, column], detail: `row ${row + 1}: ${column} ${detail}` });
  };
  const ids = (table.values.get(key) as unknown[]).map((v, i) =>
    entityId(v, entity, (d) => problem(i, key, d)),
  );
  const stamps = (table.values.get(time as string) as unknown[]).map((v, i) => {
    const micros = timestampOf(v, table.types.get(time as string));
    if (micros === undefined) problem(i, time as string, `${JSON.stringify(v)} is not an ISO 8601 timestamp`);
    return micros ?? 0;
  });
  if (issues.length > 0) {
    throw datasetError("VALIDATION_FAILED", summarize(issues.map((i) => i.detail)), issues, {
      rows: issues.map((i) => ({ row: (i.path[1] as number) + 1, column: i.path[2], detail: i.detail })),
    });
  }
  const labels = table.values.get(LABEL);
  return {
    ids,
    asOf: stamps,
    ...(labels ? { label: labelColumn(labels, table.types.get(LABEL), table.textual === true) } : {}),
  };
}

export function refuseTooManyRows(rows: number, maxRows: number): void {
  if (rows > maxRows)
    throw datasetError("PAYLOAD_TOO_LARGE", `The upload has ${rows} rows; at most ${maxRows} are accepted.`);
}

function entityId(value: unknown, entity: EntityInfo, fail: (detail: string) => void): unknown {
  if (value === null || value === undefined || value === "") {
    fail("is empty");
    return null;
  }
  if (entity.keyType === "string") return String(value);
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^-?\d+$/.test(value.trim())
        ? Number(value)
        : Number.NaN;
  if (!Number.isInteger(n) || n < -2_147_483_648 || n > 2_147_483_647) {
    fail(`${JSON.stringify(value)} is not an integer id`);
    return null;
  }
  return n;
}

function timestampOf(value: unknown, declared: string | undefined): number | undefined {
  if (declared === "timestamp" && typeof value === "number") return value;
  if (typeof value === "string") return parseTimestamp(value);
  return undefined;
}

/**
 * Labels keep their type: a declared Parquet type, else JSON's (whole numbers are integers,
 * strings stay strings), else what every CSV value reads as (integer, number, boolean, text).
 */
function labelColumn(
  values: unknown[],
  declared: string | undefined,
  textual: boolean,
): { column: OutputColumn; values: unknown[] } {
  const present = values.filter((v) => v !== null && v !== undefined);
  const texts = textual && present.every((v) => typeof v === "string");
  let kind: ColumnKind = "string";
  let converted = values;
  const map = (convert: (v: unknown) => unknown) =>
    values.map((v) => (v === null || v === undefined ? null : convert(v)));
  if (declared === "int" || declared === "float" || declared === "bool" || declared === "string")
    kind = declared;
  else if (declared === "timestamp") kind = "timestamp";
  else if (present.every((v) => typeof v === "boolean")) kind = "bool";
  else if (present.every((v) => typeof v === "number")) kind = present.every(isInt32) ? "int" : "float";
  else if (texts && present.every((v) => /^(true|false)$/i.test(v as string))) {
    kind = "bool";
    converted = map((v) => String(v).toLowerCase() === "true");
  } else if (texts && present.every((v) => /^[-+]?\d+$/.test((v as string).trim()) && isInt32(Number(v)))) {
    kind = "int";
    converted = map(Number);
  } else if (texts && present.every((v) => (v as string).trim() !== "" && Number.isFinite(Number(v)))) {
    kind = "float";
    converted = map(Number);
  } else {
    converted = map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
  }
  if (kind === "int" && !present.every((v) => typeof v !== "number" || isInt32(v))) kind = "float";
  return {
    column: {
      name: LABEL,
      kind,
      description: "The uploaded label, passed through unchanged.",
      source: "upload",
    },
    values: converted,
  };
}

const isInt32 = (v: unknown) =>
  typeof v === "number" && Number.isInteger(v) && v >= -2_147_483_648 && v <= 2_147_483_647;
