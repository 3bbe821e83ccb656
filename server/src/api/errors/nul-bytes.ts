import { type FieldError, type FieldLocation, fieldError } from "../../errors";

const NUL = "\u0000";

/**
 * Every string (and object key) of validated input that holds a NUL byte, which PostgreSQL
 * cannot store in text: found here once, for every route, instead of as a 500 where it meets SQL.
 */
export function nulByteFields(location: FieldLocation, value: unknown): FieldError[] {
  const found: FieldError[] = [];
  const visit = (node: unknown, path: (string | number)[]) => {
    if (typeof node === "string") {
      if (node.includes(NUL))
        found.push(fieldError(location, path, "must not contain a NUL byte (U+0000)", "nul_byte"));
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        visit(item, [...path, i]);
      });
      return;
    }
    if (node === null || typeof node !== "object") return;
    for (const [key, item] of Object.entries(node)) {
      if (key.includes(NUL)) {
        found.push(
          fieldError(location, [...path, key], "names a field with a NUL byte (U+0000)", "nul_byte"),
        );
      } else visit(item, [...path, key]);
    }
  };
  visit(value, []);
  return found;
}
