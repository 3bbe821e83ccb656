import { parseSync, scanSync } from "libpg-query";

/** A parse tree node as libpg-query gives it: `{ Kind: { ...fields } }`. */
export type Node = Record<string, Fields>;
export type Fields = Record<string, unknown>;

/** The tree of one scalar expression (after `await loadModule()`). */
export function parseExpressionSync(expr: string): Node | undefined {
  const stmts = parseSync(`SELECT ${expr}`).stmts ?? [];
  const select = stmts[0]?.stmt as { SelectStmt?: { targetList?: { ResTarget: { val: Node } }[] } };
  return select.SelectStmt?.targetList?.[0]?.ResTarget.val;
}

/** The node's kind and fields. */
export function unwrap(node: unknown): [string, Fields] {
  const [entry] = Object.entries(node as Node);
  if (!entry) throw new Error("empty parse tree node");
  return entry;
}

export function nameParts(list: unknown): string[] {
  return (list as { String: { sval: string } }[]).map((part) => part.String.sval);
}

export function columnRef(...names: string[]): Node {
  return { ColumnRef: { fields: names.map((sval) => ({ String: { sval } })) } };
}

/** Rebuilds `node`, taking `replace`'s node instead of any node it returns one for. */
export function mapTree(node: unknown, replace: (node: Node) => Node | undefined): unknown {
  if (Array.isArray(node)) return node.map((item) => mapTree(item, replace));
  if (node === null || typeof node !== "object") return node;
  const replaced = replace(node as Node);
  if (replaced) return replaced;
  return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, mapTree(child, replace)]));
}

const keywordKinds = new Map<string, number>();

/** Whether `name` is a keyword that cannot stand bare as a column or function name. */
export function isReservedWord(name: string): boolean {
  let kind = keywordKinds.get(name);
  if (kind === undefined) {
    kind = scanSync(name).tokens[0]?.keywordKind ?? 0;
    keywordKinds.set(name, kind);
  }
  return kind > 1; // 0: not a keyword, 1: unreserved
}
