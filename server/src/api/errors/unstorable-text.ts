import { type FieldError, type FieldLocation, fieldError } from "../../errors";

const NUL = "\u0000";
// A high surrogate not followed by a low one, or a low one not after a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why PostgreSQL cannot take `text` as it is, or undefined when it can. */
function unstorable(text: string): { message: string; code: string } | undefined {
  if (text.includes(NUL)) return { message: "a NUL byte (U+0000)", code: "nul_byte" };
  // UTF-8 has no lone surrogate: the driver would send U+FFFD, another string than the one asked.
  if (LONE_SURROGATE.test(text)) return { message: "a lone UTF-16 surrogate", code: "lone_surrogate" };
  return undefined;
}

/**
 * Every string (and object key) of validated input that PostgreSQL cannot store in text (a NUL
 * byte) or would store as another string (a lone surrogate): found here once, for every route,
 * instead of as a 500 where it meets SQL, or a filter that silently matches something else.
 */
export function unstorableTextFields(location: FieldLocation, value: unknown): FieldError[] {
  const found: FieldError[] = [];
  const visit = (node: unknown, path: (string | number)[]) => {
    if (typeof node === "string") {
      const why = unstorable(node);
      if (why) found.push(fieldError(location, path, `must not contain ${why.message}`, why.code));
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
      const why = unstorable(key);
      if (why)
        found.push(fieldError(location, [...path, key], `names a field with ${why.message}`, why.code));
      else visit(item, [...path, key]);
    }
  };
  visit(value, []);
  return found;
}
