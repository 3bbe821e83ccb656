import { parse, scan } from "libpg-query";
import { AGGREGATES, functionRefusal } from "./allowed-functions";

export type CheckedExpression = {
  /** The expression as written, comments removed, in parentheses. */
  sql: string;
  /** The parse tree without source positions: the expression's meaning, for content hashes. */
  tree: unknown;
  /** First segment of each qualified column reference (t, a, or a join_latest alias). */
  qualifiers: Set<string>;
  /** Function names called, as the catalog spells them (unquoted names lower-cased), without schema. */
  functions: Set<string>;
  aggregate: boolean;
};

export type ExpressionResult = { ok: true; value: CheckedExpression } | { ok: false; message: string };

// Statement-level or row-source nodes that never belong inside a scalar expression.
const FORBIDDEN_NODES: Record<string, string> = {
  SubLink: "a subquery",
  SelectStmt: "a statement",
  ParamRef: "a $n parameter",
  RangeVar: "a table reference",
  SQLValueFunction: "CURRENT_TIMESTAMP-like values (not reproducible)",
  WindowDef: "a window function",
  GroupingFunc: "GROUPING()",
  MultiAssignRef: "a multi-assignment",
};

/** Parses `expr` with the PostgreSQL parser and accepts it only if it is one scalar expression. */
export async function checkExpression(expr: string, allowed: Set<string>): Promise<ExpressionResult> {
  // The bare form first, for a message that names what was smuggled in.
  const bare = await parseStatements(`SELECT ${expr}`);
  if (Array.isArray(bare)) {
    const problem = shapeProblem(bare);
    if (problem) return { ok: false, message: problem };
  }
  // Comments go: a trailing `--` would swallow the SQL after the expression. Then parse exactly
  // the text that will be embedded, so what is checked is what runs.
  const sql = `(${await withoutComments(expr)})`;
  const stmts = await parseStatements(`SELECT ${sql}`);
  if (!Array.isArray(stmts)) return { ok: false, message: `is not valid SQL: ${stmts}` };
  const shape = shapeProblem(stmts);
  if (shape) return { ok: false, message: shape };
  const targets = stmts[0]?.stmt.SelectStmt?.targetList as { ResTarget: { val: unknown } }[];
  const value = targets[0]?.ResTarget.val;
  const facts = { qualifiers: new Set<string>(), functions: new Set<string>(), aggregate: false };
  const problem = walk(value, facts, allowed);
  if (problem) return { ok: false, message: problem };
  return { ok: true, value: { sql, tree: stripLocations(value), ...facts } };
}

type Statement = { stmt: { SelectStmt?: Record<string, unknown> } & Record<string, unknown> };

function shapeProblem(stmts: Statement[]): string | undefined {
  if (stmts.length !== 1) return "must be one expression, not several statements";
  const select = stmts[0]?.stmt.SelectStmt;
  if (!select) return "must be an expression, not a statement";
  const extra = Object.keys(select).filter((k) => !["targetList", "limitOption", "op"].includes(k));
  const targets = select.targetList as { ResTarget: { name?: string } }[] | undefined;
  if (extra.length > 0 || select.op !== "SETOP_NONE" || targets?.length !== 1 || targets[0]?.ResTarget.name) {
    return "must be a single scalar expression (no FROM, WHERE, UNION, AS or commas)";
  }
  return undefined;
}

async function withoutComments(expr: string): Promise<string> {
  let tokens: { start: number; end: number; tokenName: string }[];
  try {
    tokens = (await scan(expr)).tokens;
  } catch {
    return expr; // the parse below reports it
  }
  const bytes = Buffer.from(expr, "utf8");
  const kept: Buffer[] = [];
  let at = 0;
  for (const token of tokens) {
    if (token.tokenName !== "SQL_COMMENT" && token.tokenName !== "C_COMMENT") continue;
    kept.push(bytes.subarray(at, token.start), Buffer.from(" "));
    at = token.end;
  }
  kept.push(bytes.subarray(at));
  return Buffer.concat(kept).toString("utf8").trim();
}

async function parseStatements(text: string): Promise<Statement[] | string> {
  try {
    return ((await parse(text)) as { stmts?: Statement[] }).stmts ?? [];
  } catch (error) {
    return (error as Error).message;
  }
}

type Facts = { qualifiers: Set<string>; functions: Set<string>; aggregate: boolean };

function walk(node: unknown, facts: Facts, allowed: Set<string>): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const problem = walk(item, facts, allowed);
      if (problem) return problem;
    }
    return undefined;
  }
  if (node === null || typeof node !== "object") return undefined;
  for (const [key, child] of Object.entries(node)) {
    const forbidden = FORBIDDEN_NODES[key];
    if (forbidden) return `must not contain ${forbidden}`;
    if (key.endsWith("Stmt")) return "must not contain a statement";
    if (key === "ColumnRef") {
      const problem = columnRef(child as { fields: Record<string, unknown>[] }, facts, allowed);
      if (problem) return problem;
    }
    if (key === "FuncCall") {
      const problem = funcCall(child as Record<string, unknown>, facts);
      if (problem) return problem;
    }
    const problem = walk(child, facts, allowed);
    if (problem) return problem;
  }
  return undefined;
}

function columnRef(ref: { fields: Record<string, unknown>[] }, facts: Facts, allowed: Set<string>) {
  const names = ref.fields.map((f) => (f.String as { sval?: string } | undefined)?.sval);
  if (names.some((n) => n === undefined)) return "must not use * column references";
  if (names.length > 2) return `refers to ${names.join(".")}: use alias.column`;
  if (names.length === 2) {
    const qualifier = names[0] as string;
    if (!allowed.has(qualifier)) {
      return `refers to ${names.join(".")}, but only ${[...allowed].sort().join(", ")} are in scope here`;
    }
    facts.qualifiers.add(qualifier);
  }
  return undefined;
}

function funcCall(call: Record<string, unknown>, facts: Facts) {
  // Not lower-cased: the parser already did that to unquoted names, and a quoted one names
  // exactly the function it spells.
  const parts = (call.funcname as { String: { sval: string } }[]).map((p) => p.String.sval);
  const name = parts[parts.length - 1] as string;
  const refusal = functionRefusal(parts);
  if (refusal) return refusal;
  if (call.over) return "must not contain a window function";
  facts.functions.add(name);
  if (AGGREGATES.has(name) || call.agg_within_group || call.agg_filter || call.agg_star)
    facts.aggregate = true;
  return undefined;
}

function stripLocations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripLocations);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => key !== "location")
      .map(([key, child]) => [key, stripLocations(child)]),
  );
}
