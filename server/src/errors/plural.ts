/** A count and its noun, agreeing: "1 row", "2 rows", "1 entity" / "3 entities". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}
