import { isUtf8 } from "node:buffer";
import type { Context, MiddlewareHandler } from "hono";
import { DomainError } from "../../errors";
import { describeByte, firstInvalidUtf8, STRICT_UTF8 } from "../../values/utf8";
import { supplyBodyText } from "./body";

/**
 * The deepest nesting of arrays and objects a JSON request body may have (docs/api.md). No
 * request schema nests past a handful of levels; JSON.parse and validation of millions of levels
 * hold the event loop for seconds, for every other client too.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The most values (numbers, strings, arrays, objects...) a JSON body may hold on the routes
 * whose schemas are small: the largest valid request (1,000 ids, a feature list, a 384-d vector,
 * filters) holds a few thousand. 512 KiB of `[]` is 170,000 values and 20 to 80 ms of JSON.parse
 * on the main thread; 20,000 are a few milliseconds.
 */
export const MAX_JSON_VALUES = 20_000;

const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** What a JSON text holds, counted without parsing it: whether it nests too deep, and its values. */
type JsonShape = { tooDeep: boolean; values: number };

/** A blank run longer than this is skipped by the regular expression engine, not a character at a time. */
const INLINE_BLANKS = 16;
/** The next character after a run of JSON whitespace. */
const NOT_BLANK = /[^ \t\n\r]/g;

/**
 * One pass over `text`, outside strings (where a backslash escapes the next character): brackets
 * give the nesting, each comma and each array or object one more value (a cheap bound on what
 * JSON.parse would build). Stops at the first level past `depthLimit`, past `maxValues`, or where
 * a string does not end (malformed text is left to JSON.parse, which fails on it anyway). One
 * loop of comparisons per character, except in strings and long blank runs, which native code
 * skips: a 512 KiB body padded with spaces, as a hostile client sends (issue #38), took 2 to 4 ms
 * of the main thread a character at a time, and takes a fifth of that.
 */
function shapeOf(text: string, depthLimit: number, maxValues: number): JsonShape {
  let depth = 0;
  let values = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= SPACE) i = endOfBlanks(text, i) - 1;
    else if (c === QUOTE) {
      i = closingQuote(text, i);
      if (i < 0) break;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      values++;
      if (++depth > depthLimit) return { tooDeep: true, values };
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    else if (c === COMMA) values++;
    if (values > maxValues) break;
  }
  return { tooDeep: false, values };
}

/**
 * The index just past the blank run that starts at `start`: JSON whitespace, and control
 * characters, which JSON.parse refuses outside strings (a long run of those is walked in turns).
 */
function endOfBlanks(text: string, start: number): number {
  const inline = Math.min(text.length, start + INLINE_BLANKS);
  for (let i = start + 1; i < inline; i++) if (text.charCodeAt(i) > SPACE) return i;
  if (inline === text.length) return inline;
  NOT_BLANK.lastIndex = inline;
  return NOT_BLANK.test(text) ? NOT_BLANK.lastIndex - 1 : text.length;
}

/**
 * Whether `text` nests arrays and objects deeper than `limit`: brackets are counted outside
 * strings, where a backslash escapes the next character. Stops at the first level past the limit.
 * Malformed text is left to JSON.parse, which fails on it anyway.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  return shapeOf(text, limit, Number.POSITIVE_INFINITY).tooDeep;
}

/** The index of the quote closing the string opened at `open`, or -1; an escaped quote does not. */
function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return -1;
    // An odd run of backslashes before it escapes it. Each run is walked once: linear overall.
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
  }
}

/** The problem a too-deep body gets: to this server's parser (RFC 8259 §9 allows a limit) it is not JSON. */
export function refuseDeepJson(
  text: string,
  limit = MAX_JSON_DEPTH,
  maxValues = Number.POSITIVE_INFINITY,
): void {
  const shape = shapeOf(text, limit, maxValues);
  if (shape.tooDeep) {
    throw new DomainError(
      "MALFORMED_JSON",
      `The JSON body nests arrays and objects deeper than ${limit} levels.`,
    );
  }
  if (shape.values > maxValues) {
    throw new DomainError(
      "PAYLOAD_TOO_LARGE",
      `The JSON body holds more than ${maxValues} values; no request to this route needs that many.`,
    );
  }
}

// The media types Hono's JSON validator parses (application/json, application/*+json).
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

export type JsonDepthOptions = {
  limit?: number;
  /**
   * The most values a body may hold (MAX_JSON_VALUES for the routes whose schemas hold a few
   * thousand at most); unset, none (a training upload counts its rows instead).
   */
  maxValues?: number;
  /** Requests left alone: those whose body is read later, under a size limit of their own. */
  skip?: (c: Context) => boolean;
};

/**
 * Refuses a JSON body nested deeper than the limit before anything parses it. It reads the body
 * as text through Hono's request, where the JSON validator then finds it, so it must run after
 * the body's size limit.
 */
export function jsonDepthLimit(options: JsonDepthOptions = {}): MiddlewareHandler {
  const limit = options.limit ?? MAX_JSON_DEPTH;
  return async (c, next) => {
    const { method } = c.req;
    if (method === "GET" || method === "HEAD") return next();
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (!JSON_MEDIA_TYPE.test(mediaType) || options.skip?.(c)) return next();
    // A body that cannot be read is the validator's to report, as it always was.
    const bytes = await c.req.arrayBuffer().catch(() => undefined);
    if (bytes === undefined) return next();
    const text = strictUtf8(new Uint8Array(bytes));
    refuseDeepJson(text, limit, options.maxValues);
    // The validator parses this text, not another decoding of the same bytes.
    supplyBodyText(c, text);
    return next();
  };
}

/**
 * The body as text, refused where it is not UTF-8 (RFC 8259 §8.1): a lenient decoder would store
 * U+FFFD in place of the bad bytes without a word.
 */
export function strictUtf8(bytes: Uint8Array): string {
  // isUtf8 and toString are simdutf's: several times faster than a fatal TextDecoder on ASCII.
  if (isUtf8(bytes)) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
    // As the decoder does (and fetch's text()): a byte order mark is not part of the text.
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new DomainError(
      "MALFORMED_JSON",
      `The body is not valid UTF-8: ${describeByte(bytes, at)} starts no valid sequence. Send text as UTF-8.`,
    );
  }
}
