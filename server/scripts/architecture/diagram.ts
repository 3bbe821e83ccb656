import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { folderGraph, sourceImports } from "./imports";

export const ARCHITECTURE_DOC = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../../../docs/architecture.md",
);

/** Folders every other one may use; drawn once, not as an arrow from each. */
export const FOUNDATION = ["config", "log", "metrics", "errors", "db", "values"];

const BEGIN = "<!-- folder-graph:begin (pnpm architecture writes this from the imports) -->";
const END = "<!-- folder-graph:end -->";

/** The folders of server/src and who imports whom, as a Mermaid flowchart (foundation folders apart). */
export function folderDiagram(): string {
  const graph = folderGraph(sourceImports());
  const folders = [...new Set([...graph.keys(), ...[...graph.values()].flatMap((to) => [...to])])].sort();
  const lines = ["```mermaid", "flowchart TD"];
  for (const folder of folders.filter((f) => !FOUNDATION.includes(f))) {
    for (const to of [...(graph.get(folder) ?? [])].sort()) {
      if (!FOUNDATION.includes(to)) lines.push(`  ${folder} --> ${to}`);
    }
  }
  lines.push(`  subgraph foundation [any folder may use these]`, `    ${FOUNDATION.join(" ~~~ ")}`, "  end");
  lines.push("```");
  return lines.join("\n");
}

/** The diagram as docs/architecture.md holds it between its markers. */
export function documentedDiagram(text = readFileSync(ARCHITECTURE_DOC, "utf8")): string | undefined {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return undefined;
  return text.slice(start + BEGIN.length, end).trim();
}

/** Writes the current diagram into docs/architecture.md between its markers. */
export function writeDiagram(): void {
  const text = readFileSync(ARCHITECTURE_DOC, "utf8");
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${ARCHITECTURE_DOC} has no ${BEGIN} … ${END} markers`);
  writeFileSync(
    ARCHITECTURE_DOC,
    `${text.slice(0, start + BEGIN.length)}\n${folderDiagram()}\n${text.slice(end)}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeDiagram();
