export type QueryPrimitive = string | number | boolean | Date;
export type QueryValue = QueryPrimitive | readonly QueryPrimitive[] | null | undefined;
export type Query = Record<string, QueryValue>;

/** `repeat`: `features=a&features=b`; `comma`: `features=a,b`. */
export type ArrayFormat = "repeat" | "comma";

function encodeValue(value: QueryPrimitive): string {
  const text = value instanceof Date ? value.toISOString() : String(value);
  // ':' and '@' are legal in a query (RFC 3986) and keep feature refs like `view@2:name` readable.
  return encodeURIComponent(text).replace(/%3A/gi, ":").replace(/%40/g, "@");
}

/** Encodes a query object without the leading `?`; null, undefined and empty arrays are left out. */
export function encodeQuery(query: Query | undefined, arrayFormat: ArrayFormat = "repeat"): string {
  if (!query) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    const name = encodeURIComponent(key);
    if (!isArray(value)) {
      parts.push(`${name}=${encodeValue(value)}`);
      continue;
    }
    // An empty list has no encoding that servers agree on; omitting it means "not given".
    if (value.length === 0) continue;
    if (arrayFormat === "comma") {
      parts.push(`${name}=${value.map(encodeValue).join(",")}`);
    } else {
      for (const item of value) parts.push(`${name}=${encodeValue(item)}`);
    }
  }
  return parts.join("&");
}

function isArray(value: QueryValue): value is readonly QueryPrimitive[] {
  return Array.isArray(value);
}
