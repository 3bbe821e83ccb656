import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const SOURCE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** A relative import between two files of server/src, type-only ones included. */
export type Import = { from: string; to: string };

/** A workspace package by name (`@rapfs/sdk`), as the folder beside server/ that holds it. */
const WORKSPACE_PACKAGE = /^@rapfs\/([^/]+)/;

/**
 * Every relative import of every .ts file under server/src, and every import of a workspace
 * package (as `../../sdk`), as paths relative to it.
 */
export function sourceImports(root = SOURCE_ROOT): Import[] {
  const imports: Import[] = [];
  for (const file of tsFiles(root)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const { fileName } of importedFiles) {
      const workspace = WORKSPACE_PACKAGE.exec(fileName)?.[1];
      if (workspace) {
        imports.push({ from: relative(root, file), to: join("..", "..", workspace) });
        continue;
      }
      if (!fileName.startsWith(".")) continue;
      const to = relative(root, resolve(dirname(file), fileName));
      imports.push({ from: relative(root, file), to });
    }
  }
  return imports;
}

/** Every .ts file under server/src, relative to it. */
export function sourceFiles(root = SOURCE_ROOT): string[] {
  return [...tsFiles(root)].map((file) => relative(root, file));
}

/**
 * The top-level folder of a path under server/src (`api`, `serving`, …); outside it, the
 * workspace package (`../../sdk` is `sdk`).
 */
export const folderOf = (path: string): string => {
  const parts = path.split(sep);
  if (parts[0] !== "..") return parts[0] ?? path;
  return parts.find((part) => part !== "..") ?? path;
};

/** Folder → the folders it imports from (itself left out). */
export function folderGraph(imports: Import[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    const [a, b] = [folderOf(from), folderOf(to)];
    if (a === b) continue;
    graph.set(a, (graph.get(a) ?? new Set()).add(b));
  }
  return graph;
}

/** The cycles of a graph, each as the path that closes it (`a → b → a`), found by depth-first search. */
export function cyclesOf(graph: Map<string, Set<string>>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]) => {
    const seen = path.indexOf(node);
    if (seen >= 0) return void cycles.push([...path.slice(seen), node]);
    if (done.has(node)) return;
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    done.add(node);
  };
  for (const node of graph.keys()) visit(node, []);
  return cycles;
}

function* tsFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}
