import { type Fields, isReservedWord, type Node, nameParts, unwrap } from "./parse-tree";

/** A node the deparser does not write; the caller compiles the expression another way. */
export class UnsupportedNodeError extends Error {}

/**
 * SQL text for a scalar expression's parse tree (libpg-query 18 has no deparser). Every compound
 * operand is parenthesized, so the text means what the tree means without knowing precedence:
 * parsing it again gives the same tree, SQL-syntax calls aside (`substring(x from y)` is written
 * as the call it is, `pg_catalog.substring(x, y)`).
 */
export function deparseExpression(node: unknown): string {
  const [kind, f] = unwrap(node);
  switch (kind) {
    case "ColumnRef":
      return columnName(f.fields as Node[]);
    case "A_Const":
      return constant(f);
    case "TypeCast":
      return `${operand(f.arg)}::${typeName(f.typeName as Fields)}`;
    case "A_Expr":
      return operatorExpression(f);
    case "BoolExpr":
      return booleanExpression(f);
    case "NullTest":
      return `${operand(f.arg)} is ${f.nulltesttype === "IS_NOT_NULL" ? "not " : ""}null`;
    case "BooleanTest":
      return `${operand(f.arg)} ${(f.booltesttype as string).toLowerCase().replaceAll("_", " ")}`;
    case "FuncCall":
      return functionCall(f);
    case "CoalesceExpr":
      return `coalesce(${list(f.args)})`;
    case "MinMaxExpr":
      return `${f.op === "IS_GREATEST" ? "greatest" : "least"}(${list(f.args)})`;
    case "CaseExpr":
      return caseExpression(f);
    case "A_ArrayExpr":
      return `array[${list(f.elements)}]`;
    case "A_Indirection":
      return `(${deparseExpression(f.arg)})${(f.indirection as Node[]).map(indirection).join("")}`;
    case "RowExpr":
      return `${f.row_format === "COERCE_IMPLICIT_CAST" ? "" : "row"}(${list(f.args)})`;
    case "CollateClause":
      return `${operand(f.arg)} collate ${qualified(nameParts(f.collname))}`;
    case "NamedArgExpr":
      return `${name(f.name as string, 0)} => ${deparseExpression(f.arg)}`;
    default:
      throw new UnsupportedNodeError(`cannot write ${kind} as SQL`);
  }
}

// Nodes whose text binds tighter than any operator: they need no parentheses as an operand.
const ATOMS = new Set(["ColumnRef", "FuncCall", "CoalesceExpr", "MinMaxExpr", "CaseExpr", "A_ArrayExpr"]);

function operand(node: unknown): string {
  const [kind, f] = unwrap(node);
  const text = deparseExpression(node);
  const atom =
    ATOMS.has(kind) ||
    (kind === "A_Expr" && f.kind === "AEXPR_NULLIF") ||
    (kind === "A_Const" && !text.startsWith("-")) ||
    (kind === "RowExpr" && f.row_format !== "COERCE_IMPLICIT_CAST") ||
    (kind === "TypeCast" && !text.startsWith("-"));
  return atom ? text : `(${text})`;
}

const list = (nodes: unknown) => ((nodes as unknown[] | undefined) ?? []).map(deparseExpression).join(", ");
const str = (node: unknown) => (node as { String: { sval: string } }).String.sval;

/** An identifier, quoted when it must be: the first part of a name may not be a keyword. */
function name(text: string, position: number): string {
  const plain = /^[a-z_][a-z0-9_$]*$/.test(text) && (position > 0 || !isReservedWord(text));
  return plain ? text : `"${text.replaceAll('"', '""')}"`;
}

const qualified = (parts: string[]) => parts.map(name).join(".");

// The compiler's own tables (per-track inputs, running totals): their columns are always written
// quoted, `_s."avg1"`, the form the point-in-time reader looks for them by.
const COMPILER_TABLES = new Set(["_x", "_s"]);

function columnName(fields: Node[]): string {
  const parts = fields.map((field) => ("A_Star" in field ? "*" : str(field)));
  if (parts.length === 2 && COMPILER_TABLES.has(parts[0] as string) && parts[1] !== "*")
    return `${parts[0]}."${parts[1]}"`;
  return parts.map((part, i) => (part === "*" ? part : name(part, i))).join(".");
}

function constant(f: Fields): string {
  if (f.isnull) return "null";
  if (f.ival) return String((f.ival as { ival?: number }).ival ?? 0);
  if (f.fval) return (f.fval as { fval: string }).fval;
  if (f.boolval) return (f.boolval as { boolval?: boolean }).boolval ? "true" : "false";
  if (f.sval) return literal((f.sval as { sval?: string }).sval ?? "");
  if (f.bsval) {
    const bits = (f.bsval as { bsval: string }).bsval;
    return `${bits.slice(0, 1)}'${bits.slice(1)}'`;
  }
  throw new UnsupportedNodeError("cannot write this constant as SQL");
}

/** A string literal that reads the same whatever standard_conforming_strings is. */
function literal(text: string): string {
  if (!text.includes("\\")) return `'${text.replaceAll("'", "''")}'`;
  return `E'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

function operatorName(parts: string[]): string {
  return parts.length === 1
    ? (parts[0] as string)
    : `operator(${parts.slice(0, -1).map(name).join(".")}.${parts.at(-1)})`;
}

const PATTERN_MATCH: Record<string, string> = {
  "~~": "like",
  "!~~": "not like",
  "~~*": "ilike",
  "!~~*": "not ilike",
  "~": "similar to",
  "!~": "not similar to",
};

function operatorExpression(f: Fields): string {
  const op = operatorName(nameParts(f.name));
  const right = () => operand(f.rexpr);
  const left = () => operand(f.lexpr);
  const items = () => ((f.rexpr as { List?: { items: Node[] } }).List?.items ?? []).map(operand);
  switch (f.kind) {
    case "AEXPR_OP":
      return f.lexpr ? `${left()} ${op} ${right()}` : `${op} ${right()}`;
    case "AEXPR_OP_ANY":
    case "AEXPR_OP_ALL":
      return `${left()} ${op} ${f.kind === "AEXPR_OP_ANY" ? "any" : "all"} (${deparseExpression(f.rexpr)})`;
    case "AEXPR_DISTINCT":
      return `${left()} is distinct from ${right()}`;
    case "AEXPR_NOT_DISTINCT":
      return `${left()} is not distinct from ${right()}`;
    case "AEXPR_NULLIF":
      return `nullif(${deparseExpression(f.lexpr)}, ${deparseExpression(f.rexpr)})`;
    case "AEXPR_IN":
      return `${left()} ${op === "=" ? "in" : "not in"} (${items().join(", ")})`;
    case "AEXPR_LIKE":
    case "AEXPR_ILIKE":
      return `${left()} ${PATTERN_MATCH[op]} ${right()}`;
    case "AEXPR_SIMILAR":
      return `${left()} ${PATTERN_MATCH[op]} ${similarPattern(f.rexpr)}`;
    case "AEXPR_BETWEEN":
    case "AEXPR_NOT_BETWEEN":
    case "AEXPR_BETWEEN_SYM":
    case "AEXPR_NOT_BETWEEN_SYM": {
      const words = (f.kind as string).slice("AEXPR_".length).toLowerCase().replace("_sym", " symmetric");
      const [low, high] = items();
      return `${left()} ${words.replaceAll("_", " ")} ${low} and ${high}`;
    }
    default:
      throw new UnsupportedNodeError(`cannot write ${String(f.kind)} as SQL`);
  }
}

/** The parser wraps a SIMILAR TO pattern in similar_to_escape(); writing that call would wrap it twice. */
function similarPattern(node: unknown): string {
  const [kind, f] = unwrap(node);
  const args = (f.args as Node[] | undefined) ?? [];
  if (kind !== "FuncCall" || nameParts(f.funcname).at(-1) !== "similar_to_escape" || args.length === 0)
    throw new UnsupportedNodeError("cannot write this SIMILAR TO pattern as SQL");
  return `${operand(args[0])}${args[1] ? ` escape ${operand(args[1])}` : ""}`;
}

function booleanExpression(f: Fields): string {
  const args = (f.args as Node[]).map(operand);
  if (f.boolop === "NOT_EXPR") return `not ${args[0]}`;
  return args.join(f.boolop === "AND_EXPR" ? " and " : " or ");
}

function functionCall(f: Fields): string {
  if (f.over) throw new UnsupportedNodeError("cannot write a window function as SQL");
  const args = ((f.args as Node[] | undefined) ?? []).map(deparseExpression);
  if (f.func_variadic && args.length > 0) args.push(`variadic ${args.pop()}`);
  const order = (f.agg_order as Node[] | undefined)?.map(sortItem).join(", ");
  const inside = f.agg_star ? "*" : `${f.agg_distinct ? "distinct " : ""}${args.join(", ")}`;
  const orderInside = order && !f.agg_within_group ? ` order by ${order}` : "";
  const withinGroup = order && f.agg_within_group ? ` within group (order by ${order})` : "";
  const filter = f.agg_filter ? ` filter (where ${deparseExpression(f.agg_filter)})` : "";
  return `${qualified(nameParts(f.funcname))}(${inside}${orderInside})${withinGroup}${filter}`;
}

function sortItem(node: Node): string {
  const f = node.SortBy as Fields;
  const direction =
    f.sortby_dir === "SORTBY_USING"
      ? ` using ${operatorName(nameParts(f.useOp))}`
      : ({ SORTBY_ASC: " asc", SORTBY_DESC: " desc" }[f.sortby_dir as string] ?? "");
  const nulls = { SORTBY_NULLS_FIRST: " nulls first", SORTBY_NULLS_LAST: " nulls last" }[
    f.sortby_nulls as string
  ];
  return `${operand(f.node)}${direction}${nulls ?? ""}`;
}

function caseExpression(f: Fields): string {
  const whens = (f.args as { CaseWhen: Fields }[]).map(
    ({ CaseWhen: w }) => ` when ${deparseExpression(w.expr)} then ${deparseExpression(w.result)}`,
  );
  const subject = f.arg ? ` ${deparseExpression(f.arg)}` : "";
  const otherwise = f.defresult ? ` else ${deparseExpression(f.defresult)}` : "";
  return `case${subject}${whens.join("")}${otherwise} end`;
}

function indirection(node: Node): string {
  if ("String" in node) return `.${name(str(node), 1)}`;
  if ("A_Star" in node) return ".*";
  const f = node.A_Indices as Fields;
  const bound = (b: unknown) => (b ? deparseExpression(b) : "");
  return f.is_slice ? `[${bound(f.lidx)}:${bound(f.uidx)}]` : `[${bound(f.uidx)}]`;
}

// Types the SQL standard spells its own way; the parser files them under pg_catalog.
const SQL_TYPES: Record<string, string> = {
  int2: "smallint",
  int4: "int",
  int8: "bigint",
  float4: "real",
  float8: "float",
  bool: "boolean",
  numeric: "numeric",
  varchar: "varchar",
  timestamp: "timestamp",
  timestamptz: "timestamp with time zone",
  time: "time",
  timetz: "time with time zone",
  interval: "interval",
  json: "json",
};
const SQL_TYPES_WITH_MODIFIERS = new Set(["numeric", "varchar"]);

function typeName(t: Fields): string {
  if (t.setof || t.pct_type) throw new UnsupportedNodeError("cannot write this type as SQL");
  const parts = nameParts(t.names);
  const modifiers = t.typmods ? `(${list(t.typmods)})` : "";
  const bounds = ((t.arrayBounds as { Integer: { ival?: number } }[] | undefined) ?? [])
    .map(({ Integer: { ival } }) => (ival === undefined || ival < 0 ? "[]" : `[${ival}]`))
    .join("");
  const sqlName = parts.length === 2 && parts[0] === "pg_catalog" ? SQL_TYPES[parts[1] as string] : undefined;
  if (sqlName && (!modifiers || SQL_TYPES_WITH_MODIFIERS.has(sqlName)))
    return `${sqlName}${modifiers}${bounds}`;
  return `${qualified(parts)}${modifiers}${bounds}`;
}
