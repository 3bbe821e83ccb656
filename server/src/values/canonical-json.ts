import { createHash } from "node:crypto";

/**
 * JSON with every object's keys in one order, at every depth: two values equal as JSON give the
 * same text however they were spelled (`{"a":1,"b":2}` and `{"b":2,"a":1}`). Arrays keep theirs.
 */
export function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_, inner: unknown) =>
      inner && typeof inner === "object" && !Array.isArray(inner)
        ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : inner,
    ) ?? ""
  );
}

/**
 * A request's options as one text whatever their order: its entries, sorted by name. (Charge and
 * file keys already stored are made of this form, so it stays as it is.)
 */
export const entriesJson = (request: Record<string, unknown>): string =>
  JSON.stringify(Object.entries(request).sort(([a], [b]) => a.localeCompare(b)));

/** SHA-256 (hex) of lines: the identity of what they name together. */
export const digestOf = (...lines: string[]): string =>
  createHash("sha256").update(lines.join("\n")).digest("hex");
