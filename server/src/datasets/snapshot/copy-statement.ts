/**
 * COPY takes no bind parameters, so a statement's `$n` placeholders become literals. Each is
 * quoted as a string and keeps the placeholder's cast (`$1::float8` → `E'0.5'::float8`), which is
 * how postgres.js sends a parameter anyway: as text, typed by the statement.
 */
export function quoteLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`a COPY parameter must be a finite number, got ${value}`);
    text = String(value);
  } else if (typeof value === "string" || typeof value === "boolean" || typeof value === "bigint") {
    text = String(value);
  } else {
    throw new Error(`a COPY parameter of type ${typeof value} cannot be written as a literal`);
  }
  if (text.includes("\0")) throw new Error("a COPY parameter cannot hold a NUL character");
  // E'' reads backslashes the same whatever standard_conforming_strings says.
  return `E'${text.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** Where a quoted run or a placeholder may begin. */
const QUOTE_OR_DOLLAR = /["'$]/g;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isWordChar = (c: number) =>
  isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;

/**
 * Replaces `$n` outside quoted identifiers and string literals with the literal of `params[n-1]`.
 * The text between placeholders is copied in runs: a card's statement is tens of kilobytes, and is
 * inlined again for every range it reads, where a string built a character at a time left
 * megabytes for the collector each time (issue #38).
 */
export function inlineParams(text: string, params: readonly unknown[]): string {
  let out = "";
  let copied = 0;
  QUOTE_OR_DOLLAR.lastIndex = 0;
  for (let found = QUOTE_OR_DOLLAR.exec(text); found; found = QUOTE_OR_DOLLAR.exec(text)) {
    const i = found.index;
    const c = found[0];
    if (c === '"' || c === "'") {
      QUOTE_OR_DOLLAR.lastIndex = quotedEnd(text, i, c);
      continue;
    }
    if (!isDigit(text.charCodeAt(i + 1)) || (i > 0 && isWordChar(text.charCodeAt(i - 1)))) continue;
    let j = i + 1;
    while (isDigit(text.charCodeAt(j))) j++;
    const n = Number(text.slice(i + 1, j));
    if (n < 1 || n > params.length) throw new Error(`$${n} has no parameter`);
    out += text.slice(copied, i) + quoteLiteral(params[n - 1]);
    copied = j;
    QUOTE_OR_DOLLAR.lastIndex = j;
  }
  return out + text.slice(copied);
}

/** Past the closing quote of the quoted run starting at `start` (a doubled quote stays inside). */
function quotedEnd(text: string, start: number, quote: string): number {
  let i = start + 1;
  for (;;) {
    const close = text.indexOf(quote, i);
    if (close < 0) throw new Error("an unterminated quoted run in SQL text");
    if (text[close + 1] === quote) i = close + 2;
    else return close + 1;
  }
}

/** `COPY (statement) TO STDOUT` in PostgreSQL's binary format, parameters inlined. */
export function binaryCopy(statement: { text: string; params: readonly unknown[] }): string {
  return `copy (${inlineParams(statement.text, statement.params)}) to stdout (format binary)`;
}
