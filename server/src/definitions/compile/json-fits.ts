import type { JsonRead } from "./json-reads";
import type { ParamAllocator } from "./params";

/*
 * Whether a value of analysis_data fits how a view reads it, twice: as SQL (the runs skip an
 * analysis that does not fit, so one bad value never fails a run) and in JavaScript (the
 * ingestion door refuses it). The two must agree; json-fits.test.ts runs both on the same values.
 * Both are stricter than PostgreSQL's casts at the edges (hexadecimal, NaN, "Infinity", 4-digit
 * exponents): what they refuse is never what an analyzer meant as a number.
 */

const NUMBER_TEXT = "^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]{1,3})?\\s*$";
const INTEGER_TEXT = "^\\s*[-+]?[0-9]{1,20}\\s*$";
const BOOLEAN_TEXTS = ["true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", "1", "0"];

/** SQL true when the analysis row `row` fits every read (reads of one alias). */
export function fitsSql(reads: JsonRead[], row: string, p: ParamAllocator): string {
  return reads.map((read) => `(${fitSql(read, row, p)})`).join(" and ");
}

export function fitSql(read: JsonRead, row: string, p: ParamAllocator): string {
  const key = p.value(read.key, "text");
  const json = `${row}.analysis_data -> ${key}`;
  const text = `${row}.analysis_data ->> ${key}`;
  // Zero, or a magnitude the type holds: one cast and one test (the value written out three times
  // was cast three times).
  const bounded = (value: string) =>
    read.min
      ? `abs(${value}) <@ '{[0,0],[${read.min},${read.max}]}'::nummultirange`
      : `abs(${value}) <= ${read.max}`;
  switch (read.expect) {
    // A JSON number is checked as one, without the text's regular expression: an analyzer writes
    // numbers as numbers, and the regex on every read of every analysis was most of a full run's
    // quarantine check (7 scans of 57,716 analyses, 2.7 s of a 20 s materialization at scale 1).
    case "number":
      return byType(json, bounded(`(${json})::numeric`), {
        matches: `${text} ~ '${NUMBER_TEXT}'`,
        fits: bounded(`(${text})::numeric`),
      });
    case "integer":
      return byType(json, `scale((${json})::numeric) = 0 and ${bounded(`(${json})::numeric`)}`, {
        matches: `${text} ~ '${INTEGER_TEXT}'`,
        fits: bounded(`(${text})::numeric`),
      });
    case "json_number":
      return `${json} is null or case when jsonb_typeof(${json}) = 'number' then ${bounded(`(${json})::numeric`)} else false end`;
    case "boolean":
      return `${text} is null or lower(btrim(${text})) in (${BOOLEAN_TEXTS.map((b) => `'${b}'`).join(", ")})`;
    case "scalar":
      return `coalesce(jsonb_typeof(${json}) not in ('object', 'array'), true)`;
    case "array":
      return (
        `${json} is null or (jsonb_typeof(${json}) = 'array' and ` +
        `not jsonb_path_exists(${json}, 'strict $[*] ? (@.type() == "object" || @.type() == "array")'))`
      );
  }
}

/**
 * SQL true when `json` (absent or null: true) fits: `number` decides a JSON number; a string fits
 * when its text `matches` (a number written as text is as good) and then `fits`, whose cast is
 * reached only once the match has passed; anything else does not fit.
 */
function byType(json: string, number: string, text: { matches: string; fits: string }): string {
  // An absent key's type is SQL NULL, which a simple CASE sends to ELSE: it is JSON null here.
  return (
    `case coalesce(jsonb_typeof(${json}), 'null') when 'number' then ${number} ` +
    `when 'string' then case when ${text.matches} then ${text.fits} else false end ` +
    `when 'null' then true else false end`
  );
}

/** Why `value` (analysis_data[read.key], undefined when absent) does not fit `read`, or undefined. */
export function misfit(read: JsonRead, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = textOf(value);
  switch (read.expect) {
    case "number":
      if (text === null) return undefined;
      return new RegExp(NUMBER_TEXT).test(text) && inBounds(Number(text), read, text)
        ? undefined
        : `must be a number${range(read)}`;
    case "integer":
      if (text === null) return undefined;
      return new RegExp(INTEGER_TEXT).test(text) && inBounds(Number(text), read)
        ? undefined
        : `must be a whole number${range(read)}`;
    case "json_number":
      return typeof value === "number" && inBounds(value, read)
        ? undefined
        : `must be a JSON number${range(read)}`;
    case "boolean":
      return text === null || BOOLEAN_TEXTS.includes(text.trim().toLowerCase())
        ? undefined
        : "must be a boolean";
    case "scalar":
      return value !== null && typeof value === "object" ? "must be a string, number or boolean" : undefined;
    case "array":
      return Array.isArray(value) && value.every((item) => item === null || typeof item !== "object")
        ? undefined
        : "must be an array of strings, numbers or booleans";
  }
}

/** What `->>` makes of a JSON value: null for JSON null, the text of anything else. */
function textOf(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value).toString();
  return JSON.stringify(value);
}

/** `text`: the number as written, where JavaScript would round a tiny one to 0. */
function inBounds(value: number, read: JsonRead, text?: string): boolean {
  const size = Math.abs(value);
  if (!Number.isFinite(size) || size > (read.max ?? Number.POSITIVE_INFINITY)) return false;
  const zero = size === 0 && !/[1-9]/.test(text?.split(/[eE]/)[0] ?? "");
  return zero || size >= (read.min ?? 0);
}

const range = (read: JsonRead) =>
  read.max === undefined
    ? ""
    : ` within ±${read.max >= 1e15 ? read.max.toExponential(1) : read.max.toLocaleString("en-US")}`;
