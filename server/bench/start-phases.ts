/**
 * The phases of a `rapfs start`, read from its JSON log lines: seconds from the first line to
 * the line that ends each phase.
 */
const PHASE_ENDS: [string, string][] = [
  ["database open + migrations", "listening"],
  ["corpus", "demo corpus generated"],
  ["definitions", "feature definitions applied"],
  ["materialization", "feature views materialized"],
  ["data ready", "data ready"],
];

export function startPhases(lines: string[]): string {
  const times = new Map<string, number>();
  let first: number | undefined;
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { time?: string; msg?: string };
    if (!entry.time || !entry.msg) continue;
    const at = Date.parse(entry.time);
    first ??= at;
    if (!times.has(entry.msg)) times.set(entry.msg, at);
  }
  if (first === undefined) return "no log lines";
  let previous = first;
  const parts: string[] = [];
  for (const [phase, message] of PHASE_ENDS) {
    const at = times.get(message);
    if (at === undefined) continue;
    parts.push(`${phase} ${((at - previous) / 1000).toFixed(1)} s`);
    previous = at;
  }
  return parts.join(", ");
}
