import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../src/config/paths";
import { analysisContract, contractTable } from "../../src/definitions/analysis-contract";
import { compileCatalog } from "../../src/definitions/compile/index";
import { loadDefinitions } from "../../src/definitions/load";

export const CONTRACT_DOC = join(repoRoot, "docs/api.md");
const BEGIN =
  "<!-- analysis-contract:begin (pnpm analysis-contract writes this from feature-definitions/) -->";
const END = "<!-- analysis-contract:end -->";

/** The table of what the shipped views read of each analyzer's analysis_data. */
export async function shippedContract(): Promise<string> {
  const catalog = await compileCatalog(await loadDefinitions(join(repoRoot, "feature-definitions")));
  const views = catalog.views.map(({ compiled }) => ({
    ref: `${compiled.name}@${compiled.version}`,
    reads: compiled.reads,
  }));
  return contractTable(analysisContract(views));
}

/** The table as docs/api.md holds it between its markers. */
export function documentedContract(text = readFileSync(CONTRACT_DOC, "utf8")): string | undefined {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return undefined;
  return text.slice(start + BEGIN.length, end).trim();
}

if (process.argv[1]?.endsWith("contract.ts")) {
  const text = readFileSync(CONTRACT_DOC, "utf8");
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${CONTRACT_DOC} has no ${BEGIN} … ${END} markers`);
  const table = await shippedContract();
  writeFileSync(CONTRACT_DOC, `${text.slice(0, start + BEGIN.length)}\n${table}\n${text.slice(end)}`);
}
