/** Levenshtein distance, two rows at a time (names are short). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The candidates close to `wanted`, nearest first: within a third of the longer name's length
 * (at least 2 edits), or sharing a prefix/containing it, so `sentimnt` and `qwen` both find help.
 */
export function closeMatches(wanted: string, candidates: Iterable<string>, limit = 5): string[] {
  const scored: { name: string; score: number }[] = [];
  const lower = wanted.toLowerCase();
  for (const name of new Set(candidates)) {
    const allowed = Math.max(2, Math.floor(Math.max(lower.length, name.length) / 3));
    const related = lower.length >= 3 && (name.includes(lower) || lower.includes(name));
    // Names further apart in length than the edits allowed are never within them: a request's
    // 500 long unknown names cost a second of edit distances on the main thread.
    if (!related && Math.abs(lower.length - name.length) > allowed) continue;
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= allowed || related)
      scored.push({ name, score: related ? Math.min(distance, 1) : distance });
  }
  return scored
    .sort((x, y) => x.score - y.score || x.name.localeCompare(y.name))
    .slice(0, limit)
    .map((s) => s.name);
}
