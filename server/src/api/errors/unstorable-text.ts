import { type FieldError, type FieldLocation, fieldError } from "../../errors";
import { unstorableText } from "../../values/unstorable-text";

/**
 * Every string (and object key) of validated input that PostgreSQL cannot store in text (a NUL
 * byte) or would store as another string (a lone surrogate): found here once, for every route,
 * instead of as a 500 where it meets SQL, or a filter that silently matches something else.
 */
export function unstorableTextFields(location: FieldLocation, value: unknown): FieldError[] {
  const found: FieldError[] = [];
  const visit = (node: unknown, path: (string | number)[]) => {
    if (typeof node === "string") {
      const why = unstorableText(node);
      if (why) found.push(fieldError(location, path, `must not contain ${why.holds}`, why.code));
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
      const why = unstorableText(key);
      if (why) found.push(fieldError(location, [...path, key], `names a field with ${why.holds}`, why.code));
      else visit(item, [...path, key]);
    }
  };
  visit(value, []);
  return found;
}
