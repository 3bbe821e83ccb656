import { FLOAT8_READ_MAX, type JsonRead } from "./compile/json-reads";

export type ContractRow = { analyzer: string; key: string; mustBe: string; readBy: string[] };

const WORDS: Record<JsonRead["expect"], string> = {
  number: "a number (or a string of one)",
  integer: "a whole number (or a string of one)",
  json_number: "a JSON number",
  boolean: "a boolean (or true/false, yes/no, on/off, 1/0)",
  scalar: "a string, number or boolean (not an object or array)",
  array: "an array of strings, numbers or booleans",
};

/**
 * What the applied views need of each analyzer's analysis_data, key by key: the contract an
 * analyzer's writer keeps (the door refuses an analysis that breaks it; docs/api.md lists it).
 */
export function analysisContract(views: { ref: string; reads: JsonRead[] }[]): ContractRow[] {
  const rows = new Map<string, ContractRow>();
  for (const { ref, reads } of views) {
    for (const read of reads) {
      for (const analyzer of read.analyzers) {
        const bound = boundOf(read);
        const mustBe = `${WORDS[read.expect]}${bound}`;
        const id = `${analyzer}\u0000${read.key}\u0000${mustBe}`;
        const row = rows.get(id) ?? { analyzer, key: read.key, mustBe, readBy: [] };
        if (!row.readBy.includes(`${ref}:${read.feature}`)) row.readBy.push(`${ref}:${read.feature}`);
        rows.set(id, row);
      }
    }
  }
  return [...rows.values()].sort(
    (a, b) =>
      a.analyzer.localeCompare(b.analyzer) || a.key.localeCompare(b.key) || a.mustBe.localeCompare(b.mustBe),
  );
}

/** An integer column's range, or the largest double an aggregate can sum (FLOAT8_READ_MAX). */
function boundOf(read: JsonRead): string {
  if (read.max === FLOAT8_READ_MAX) return ", within ±1e150";
  return read.max !== undefined && read.max <= 2_147_483_647
    ? `, within ±${read.max.toLocaleString("en-US")}`
    : "";
}

/** The contract as a Markdown table. */
export function contractTable(rows: ContractRow[]): string {
  return [
    "| analyzer | `analysis_data` key | must be (when present and not null) | read by |",
    "| --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| \`${r.analyzer}\` | \`${r.key}\` | ${r.mustBe} | ${r.readBy.map((f) => `\`${f}\``).join(", ")} |`,
    ),
  ].join("\n");
}
