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

/** Replaces `$n` outside quoted identifiers and string literals with the literal of `params[n-1]`. */
export function inlineParams(text: string, params: readonly unknown[]): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"' || c === "'") {
      const close = quotedEnd(text, i, c);
      out += text.slice(i, close);
      i = close;
    } else if (c === "$" && /[0-9]/.test(text[i + 1] ?? "") && !/[A-Za-z0-9_]/.test(text[i - 1] ?? "")) {
      let j = i + 1;
      while (/[0-9]/.test(text[j] ?? "")) j++;
      const n = Number(text.slice(i + 1, j));
      if (n < 1 || n > params.length) throw new Error(`$${n} has no parameter`);
      out += quoteLiteral(params[n - 1]);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
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
