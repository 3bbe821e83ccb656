import { parse, scan } from "libpg-query";
import { AGGREGATES } from "./expression";

/**
 * An aggregate expression rewritten over per-track inputs: `avg(x)` → `avg(_x."i1")`, i1 = x.
 * `running` is the same expression over running totals (`avg(x)` → `_s."avg1"`), when every
 * aggregate in it can be kept as totals that a track's change adds to and takes from (count,
 * sum, avg, none of them DISTINCT, FILTERed or ordered): what a point-in-time history needs.
 */
export type SplitExpression = { outer: string; inputs: string[]; running?: string };

type Token = { start: number; end: number; text: string; keywordKind: number };
type Span = { start: number; end: number };

/**
 * Splits an aggregate expression into the per-row inputs of its aggregate calls and the outer
 * expression over them, so aggregates can be recomputed from a per-track table without
 * re-reading the sources. Only expressions whose column references all sit inside aggregate
 * calls are split; anything else returns undefined and is compiled directly.
 */
export async function splitAggregates(
  expr: string,
  firstInput: number,
): Promise<SplitExpression | undefined> {
  const text = `SELECT ${expr}`;
  const bytes = Buffer.from(text, "utf8");
  const tokens = (await scan(text)).tokens as Token[];
  const tree = (await parse(text)) as {
    stmts: { stmt: { SelectStmt: { targetList: { ResTarget: { val: unknown } }[] } } }[];
  };
  const calls: { location: number; node: Record<string, unknown> }[] = [];
  if (!collect(tree.stmts[0]?.stmt.SelectStmt.targetList[0]?.ResTarget.val, calls)) return undefined;
  const spans: Span[] = [];
  const found: { call: (typeof calls)[number]; inputs: Span[]; end: number }[] = [];
  for (const call of calls) {
    const spanned = inputSpans(tokens, call.location, call.node);
    if (!spanned) return undefined;
    spans.push(...spanned.spans);
    found.push({ call, inputs: spanned.spans, end: spanned.end });
  }
  spans.sort((a, b) => a.start - b.start);
  const inputs: string[] = [];
  const parts: Buffer[] = [];
  let at = 0;
  for (const span of spans) {
    if (span.start < at) return undefined;
    inputs.push(bytes.subarray(span.start, span.end).toString("utf8").trim());
    parts.push(bytes.subarray(at, span.start), Buffer.from(`_x."i${firstInput + inputs.length - 1}"`));
    at = span.end;
  }
  parts.push(bytes.subarray(at));
  const outer = Buffer.concat(parts).toString("utf8").slice("SELECT ".length);
  const inputOf = (span: Span) => firstInput + spans.indexOf(span);
  const running = runningExpression(bytes, found, inputOf);
  return { outer, inputs, ...(running ? { running } : {}) };
}

/** The expression with each aggregate call replaced by its running total, if all of them have one. */
function runningExpression(
  bytes: Buffer,
  calls: { call: { location: number; node: Record<string, unknown> }; inputs: Span[]; end: number }[],
  inputOf: (span: Span) => number,
): string | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (const { call, inputs, end } of [...calls].sort((a, b) => a.call.location - b.call.location)) {
    const total = runningTotal(call.node, inputs, inputOf);
    if (!total) return undefined;
    parts.push(bytes.subarray(at, call.location), Buffer.from(total));
    at = end;
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts).toString("utf8").slice("SELECT ".length);
}

const RUNNING = new Set(["count", "sum", "avg"]);

function runningTotal(node: Record<string, unknown>, inputs: Span[], inputOf: (span: Span) => number) {
  const name = (node.funcname as { String: { sval: string } }[]).at(-1)?.String.sval.toLowerCase() ?? "";
  if (!RUNNING.has(name) || node.agg_distinct || node.agg_filter || node.agg_order || node.agg_within_group)
    return undefined;
  if (node.over) return undefined;
  if (node.agg_star) return name === "count" ? '_s."n"' : undefined;
  const [input] = inputs;
  if (inputs.length !== 1 || !input) return undefined;
  const k = inputOf(input);
  return name === "count" ? `_s."c${k}"` : `_s."${name}${k}"`;
}

/** Finds aggregate calls; false when a column is referenced outside one (it could not be split). */
function collect(node: unknown, calls: { location: number; node: Record<string, unknown> }[]): boolean {
  if (Array.isArray(node)) return node.every((n) => collect(n, calls));
  if (node === null || typeof node !== "object") return true;
  for (const [key, child] of Object.entries(node)) {
    if (key === "ColumnRef") return false;
    if (key === "FuncCall") {
      const call = child as Record<string, unknown>;
      const name = (call.funcname as { String: { sval: string } }[]).at(-1)?.String.sval.toLowerCase() ?? "";
      if (AGGREGATES.has(name) || call.agg_within_group || call.agg_filter || call.agg_star) {
        calls.push({ location: call.location as number, node: call });
        continue;
      }
    }
    if (!collect(child, calls)) return false;
  }
  return true;
}

const SORT_WORDS = new Set(["asc", "desc", "nulls", "first", "last"]);

/**
 * The byte spans of an aggregate call's inputs (arguments, ORDER BY items and FILTER condition),
 * and where the call ends.
 */
function inputSpans(
  tokens: Token[],
  location: number,
  call: Record<string, unknown>,
): { spans: Span[]; end: number } | undefined {
  let i = tokens.findIndex((t) => t.start === location);
  while (i >= 0 && i < tokens.length && tokens[i]?.text !== "(") i++;
  const close = matching(tokens, i);
  if (i < 0 || close === undefined) return undefined;
  const spans: Span[] = [];
  let inner = tokens.slice(i + 1, close);
  const first = inner[0]?.text.toLowerCase();
  if (first === "distinct" || first === "all") inner = inner.slice(1);
  if (!(inner.length === 1 && inner[0]?.text === "*")) {
    const order = depthZero(inner).findIndex((t) => t.text.toLowerCase() === "order");
    const args = order >= 0 ? inner.slice(0, inner.indexOf(depthZero(inner)[order] as Token)) : inner;
    spans.push(...splitCommas(args));
    if (order >= 0)
      spans.push(...sortItems(inner.slice(inner.indexOf(depthZero(inner)[order] as Token) + 2)));
  }
  let next = close + 1;
  if (call.agg_within_group) {
    // WITHIN GROUP ( ORDER BY items )
    const open = next + 2;
    const end = matching(tokens, open);
    if (end === undefined) return undefined;
    spans.push(...sortItems(tokens.slice(open + 3, end)));
    next = end + 1;
  }
  if (call.agg_filter) {
    // FILTER ( WHERE condition )
    const open = next + 1;
    const end = matching(tokens, open);
    if (end === undefined) return undefined;
    spans.push(...splitCommas(tokens.slice(open + 2, end)));
    next = end + 1;
  }
  const last = tokens[next - 1];
  if (!last) return undefined;
  return { spans: spans.filter((s) => s.end > s.start), end: last.end };
}

function matching(tokens: Token[], open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const text = tokens[i]?.text;
    if (text === "(" || text === "[") depth++;
    if (text === ")" || text === "]") depth--;
    if (depth === 0) return i;
  }
  return undefined;
}

function depthZero(tokens: Token[]): Token[] {
  let depth = 0;
  const out: Token[] = [];
  for (const t of tokens) {
    if (depth === 0) out.push(t);
    if (t.text === "(" || t.text === "[") depth++;
    if (t.text === ")" || t.text === "]") depth--;
  }
  return out.filter((t) => t.text !== "(" && t.text !== "[");
}

function splitCommas(tokens: Token[]): Span[] {
  const spans: Span[] = [];
  let depth = 0;
  let from: Token | undefined;
  let last: Token | undefined;
  for (const t of tokens) {
    if (depth === 0 && t.text === ",") {
      if (from && last) spans.push({ start: from.start, end: last.end });
      from = undefined;
      continue;
    }
    if (t.text === "(" || t.text === "[") depth++;
    if (t.text === ")" || t.text === "]") depth--;
    from ??= t;
    last = t;
  }
  if (from && last) spans.push({ start: from.start, end: last.end });
  return spans;
}

/** ORDER BY items without their ASC/DESC/NULLS words. */
function sortItems(tokens: Token[]): Span[] {
  return splitCommas(tokens).map((span) => {
    const inSpan = tokens.filter((t) => t.start >= span.start && t.end <= span.end);
    while (inSpan.length > 1 && SORT_WORDS.has(inSpan.at(-1)?.text.toLowerCase() ?? "")) inSpan.pop();
    return { start: span.start, end: inSpan.at(-1)?.end ?? span.end };
  });
}
