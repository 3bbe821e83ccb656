const NUL = "\u0000";
// A high surrogate not followed by a low one, or a low one not after a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What a string holds that PostgreSQL cannot take as it is, named for a message, with its code. */
export type UnstorableText = { holds: string; code: "nul_byte" | "lone_surrogate" };

/**
 * Why PostgreSQL cannot store `text` as it is, or undefined when it can: a NUL byte (text
 * refuses it), or a lone surrogate (UTF-8 has none: the driver would send U+FFFD, another string
 * than the one asked, and jsonb refuses its escape).
 */
export function unstorableText(text: string): UnstorableText | undefined {
  if (text.includes(NUL)) return { holds: "a NUL byte (U+0000)", code: "nul_byte" };
  if (LONE_SURROGATE.test(text)) return { holds: "a lone UTF-16 surrogate", code: "lone_surrogate" };
  return undefined;
}
