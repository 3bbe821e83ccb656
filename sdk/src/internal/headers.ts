/** Header values as callers give them; `null` removes a header set by an earlier source. */
export type HeadersLike =
  | Headers
  | ReadonlyArray<readonly [string, string]>
  | Record<string, string | null | undefined>;

/** Merges header sources left to right; later sources win, case-insensitively. */
export function mergeHeaders(...sources: Array<HeadersLike | null | undefined>): Headers {
  const result = new Headers();
  for (const source of sources) {
    if (!source) continue;
    const entries: Iterable<readonly [string, string | null | undefined]> =
      source instanceof Headers || Array.isArray(source)
        ? (source as Iterable<readonly [string, string]>)
        : Object.entries(source);
    for (const [name, value] of entries) {
      if (value === null) result.delete(name);
      else if (value !== undefined) result.set(name, value);
    }
  }
  return result;
}

/**
 * The same merge as a plain object with lower-case names, checked as `Headers` checks them.
 * fetch copies a plain object into its request with less work than a `Headers` instance (which it
 * iterates, sorted and combined), so the client hands it these.
 */
export function headerRecord(...sources: Array<HeadersLike | null | undefined>): Record<string, string> {
  const record: Record<string, string> = {};
  mergeHeaders(...sources).forEach((value, name) => {
    record[name] = value;
  });
  return record;
}
