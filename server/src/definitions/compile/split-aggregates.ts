import { loadModule } from "libpg-query";
import { AGGREGATES } from "./allowed-functions";
import { deparseExpression, UnsupportedNodeError } from "./deparse";
import { columnRef, type Fields, mapTree, type Node, nameParts, parseExpressionSync } from "./parse-tree";

/**
 * An aggregate expression rewritten over per-track inputs: `avg(x)` → `avg(_x.i1)`, i1 = x.
 * `running` is the same expression over running totals (`avg(x)` → `_s.avg1`), when every
 * aggregate in it can be kept as totals that a track's change adds to and takes from (count,
 * sum, avg, none of them DISTINCT, FILTERed or ordered): what a point-in-time history needs.
 */
export type SplitExpression = { outer: string; inputs: string[]; running?: string; totals?: RunningTotal[] };

/**
 * A running total an expression reads: the rows' count (`_s.n`, no input), or an input's count
 * of non-null values (`_s.cN`), sum (`_s.sumN`) or average (`_s.avgN`).
 */
export type RunningTotal = { total: "count" | "sum" | "avg"; input?: number };

type Call = { fields: Fields; inputs: Node[]; firstInput: number };

/**
 * Splits an aggregate expression into the per-row inputs of its aggregate calls and the outer
 * expression over them, so aggregates can be recomputed from a per-track table without
 * re-reading the sources. Both are rewritten parse trees written back as SQL. Only expressions
 * whose column references all sit inside aggregate calls are split; anything else returns
 * undefined and is compiled directly.
 */
export async function splitAggregates(
  expr: string,
  firstInput: number,
): Promise<SplitExpression | undefined> {
  await loadModule();
  const tree = parseExpressionSync(expr);
  const found: Fields[] = [];
  if (!tree || !collect(tree, found)) return undefined;
  // Inputs are numbered in the order they are written.
  found.sort((a, b) => (a.location as number) - (b.location as number));
  const calls = new Map<Fields, Call>();
  let next = firstInput;
  for (const fields of found) {
    // An ordered-set aggregate's direct arguments must be the same for the whole group.
    if (fields.agg_within_group && JSON.stringify(fields.args ?? []).includes('"ColumnRef"'))
      return undefined;
    const inputs = inputsOf(fields);
    calls.set(fields, { fields, inputs, firstInput: next });
    next += inputs.length;
  }
  try {
    const outer = mapTree(tree, (node) => {
      const call = node.FuncCall && calls.get(node.FuncCall);
      return call && { FuncCall: overInputs(call) };
    });
    const totals = new Map([...calls].map(([fields, call]) => [fields, runningTotal(call)]));
    const complete = [...totals.values()].every((total) => total !== undefined);
    const running = complete
      ? mapTree(tree, (node) => node.FuncCall && totals.get(node.FuncCall)?.node)
      : undefined;
    return {
      outer: `(${deparseExpression(outer)})`,
      inputs: [...calls.values()].flatMap((c) => c.inputs.map(deparseExpression)),
      ...(running
        ? {
            running: `(${deparseExpression(running)})`,
            totals: [...totals.values()].flatMap((t) => (t ? [t.read] : [])),
          }
        : {}),
    };
  } catch (error) {
    if (error instanceof UnsupportedNodeError) return undefined;
    throw error;
  }
}

/**
 * The call's inputs in written order: arguments (not the direct ones of an ordered-set
 * aggregate, which stay as written), ORDER BY items, FILTER condition.
 */
function inputsOf(call: Fields): Node[] {
  const args = ((!call.agg_within_group && (call.args as Node[] | undefined)) || []).map((arg) =>
    arg.NamedArgExpr ? (arg.NamedArgExpr.arg as Node) : arg,
  );
  const order = ((call.agg_order as Node[] | undefined) ?? []).map((item) => item.SortBy?.node as Node);
  return [...args, ...order, ...(call.agg_filter ? [call.agg_filter as Node] : [])];
}

/** The call with each input replaced by its column of the per-track table (`_x.iN`). */
function overInputs({ fields, inputs, firstInput }: Call): Fields {
  let at = firstInput;
  const input = () => columnRef("_x", `i${at++}`);
  const args = fields.agg_within_group
    ? undefined
    : (fields.args as Node[] | undefined)?.map((arg) =>
        arg.NamedArgExpr ? { NamedArgExpr: { ...arg.NamedArgExpr, arg: input() } } : input(),
      );
  const order = (fields.agg_order as Node[] | undefined)?.map((item) => ({
    SortBy: { ...item.SortBy, node: input() },
  }));
  const filter = fields.agg_filter ? input() : undefined;
  if (at !== firstInput + inputs.length) throw new Error("aggregate inputs miscounted");
  return {
    ...fields,
    ...(args ? { args } : {}),
    ...(order ? { agg_order: order } : {}),
    ...(filter ? { agg_filter: filter } : {}),
  };
}

const RUNNING = new Set(["count", "sum", "avg"]);

/** The call as a running total (`_s.n`, `_s.cN`, `_s.sumN`, `_s.avgN`), and what it reads, if it can be one. */
function runningTotal({ fields, inputs, firstInput }: Call): { node: Node; read: RunningTotal } | undefined {
  const name = callName(fields);
  if (!RUNNING.has(name) || fields.agg_distinct || fields.agg_filter || fields.agg_order) return undefined;
  if (fields.agg_within_group || fields.over || fields.func_variadic) return undefined;
  if (fields.agg_star)
    return name === "count" ? { node: columnRef("_s", "n"), read: { total: "count" } } : undefined;
  if (inputs.length !== 1 || (fields.args as Node[])[0]?.NamedArgExpr) return undefined;
  const total = name as RunningTotal["total"];
  const column = total === "count" ? `c${firstInput}` : `${total}${firstInput}`;
  return { node: columnRef("_s", column), read: { total, input: firstInput } };
}

const callName = (call: Fields) => nameParts(call.funcname).at(-1) ?? "";

/** Finds aggregate calls; false when a column is referenced outside one (it could not be split). */
function collect(node: unknown, calls: Fields[]): boolean {
  if (Array.isArray(node)) return node.every((n) => collect(n, calls));
  if (node === null || typeof node !== "object") return true;
  for (const [key, child] of Object.entries(node)) {
    if (key === "ColumnRef") return false;
    if (key === "FuncCall") {
      const call = child as Fields;
      if (AGGREGATES.has(callName(call)) || call.agg_within_group || call.agg_filter || call.agg_star) {
        calls.push(call);
        continue;
      }
    }
    if (!collect(child, calls)) return false;
  }
  return true;
}
