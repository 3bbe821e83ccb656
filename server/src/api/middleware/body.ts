import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { DomainError } from "../../errors";

const SIZE_LIMIT = "The request body exceeds the size limit.";
const tooLarge = (message = SIZE_LIMIT) => new DomainError("PAYLOAD_TOO_LARGE", message);

/** Per app, the `METHOD path`s of routes that enforce a body limit of their own. */
const ownLimits = new WeakMap<object, Set<string>>();

/**
 * Marks a route whose body limit is its own (a training upload's RAPFS_TRAINING_MAX_BYTES),
 * larger or smaller than the app's: the app-wide limit then leaves its body to it, so the limit
 * a route documents is the one enforced.
 */
export function ownBodyLimit(app: object, method: string, path: string): void {
  const routes = ownLimits.get(app) ?? new Set<string>();
  routes.add(`${method.toUpperCase()} ${path}`);
  ownLimits.set(app, routes);
}

/** Whether the request's route enforces a body limit of its own (ownBodyLimit). */
export function hasOwnBodyLimit(app: object, c: Context): boolean {
  return ownLimits.get(app)?.has(`${c.req.method} ${c.req.path}`) === true;
}

/** Paths whose bodies are only ever read as JSON through the validator: the online reads. */
const JSON_ONLY = /^\/v1\/(features|embeddings)\//;

/**
 * The online reads' bodies: 1,000 ids, a feature list, a vector and filters fit in a few dozen KB
 * (a 1,000-id batch of track ids is about 10 KB). The app's limit (10 MiB) let one free key send
 * millions of empty arrays whose parsing held the main thread for a second per request.
 */
export const ONLINE_READ_MAX_BYTES = 512 * 1024;

/**
 * The key and account routes' bodies (an email and a name, a key's name, scopes and expiry, a
 * tier): under 1 KB. Held to 16 KiB, so a signup cannot make the server parse megabytes.
 */
export const ACCESS_MAX_BYTES = 16 * 1024;
const ACCESS_JSON = /^\/v1\/(signup|keys(\/[^/]+(\/rotate)?)?|admin\/accounts(\/[^/]+)?)$/;

/**
 * A route's own body limit (a training upload's, the ingestion door's), read the fast way: the
 * body comes straight from Node's request stream into Hono's body cache, refused once past
 * `maxBytes` (declared or read) with `message`. Read through hono/body-limit, a free key's 2.9 MB
 * training CSV went through web streams chunk by chunk, blocks of tens of milliseconds on the main
 * thread (issue #38). Under `app.request()` (tests) there is no Node stream, and hono/body-limit
 * serves.
 */
export function boundedBody(maxBytes: number, message: string): MiddlewareHandler {
  const generic = limitTo(maxBytes, message);
  return closingWhenRefused(async (c, next) => {
    const incoming = incomingOf(c);
    if (!incoming) return generic(c, next);
    await readInto(c, incoming, maxBytes, message);
    return next();
  });
}

/**
 * The request body size limit, and for the online reads a faster way to their body: it is read
 * straight from Node's request stream into Hono's body cache, where the JSON validator finds it.
 * The generic path (hono/body-limit, then the validator) builds a fetch Request and reads it
 * through web streams, a visible share of a feature batch's CPU. GET and HEAD carry no body, and
 * checking one would build that Request on every online lookup. Under `app.request()` (tests)
 * there is no Node stream, and the generic path serves.
 */
export function requestBody(app: object, maxBytes: number): MiddlewareHandler {
  const generic = limitTo(maxBytes);
  const onlineGeneric = limitTo(Math.min(maxBytes, ONLINE_READ_MAX_BYTES));
  const access = limitTo(Math.min(maxBytes, ACCESS_MAX_BYTES));
  return closingWhenRefused(async (c, next) => {
    const { method } = c.req;
    if (method === "GET" || method === "HEAD") return next();
    refuseEncoded(c.req.header("content-encoding"));
    if (ownLimits.get(app)?.has(`${method} ${c.req.path}`)) return next();
    if (ACCESS_JSON.test(c.req.path)) return access(c, next);
    const onlineRead = JSON_ONLY.test(c.req.path);
    const incoming = incomingOf(c);
    if (!incoming || !onlineRead) return (onlineRead ? onlineGeneric : generic)(c, next);
    await readInto(c, incoming, Math.min(maxBytes, ONLINE_READ_MAX_BYTES));
    return next();
  });
}

/**
 * No route decodes a compressed body: a gzipped one was read as it came and refused as "not valid
 * UTF-8", or worse, taken; the header says what it is, so it is refused for that.
 */
function refuseEncoded(encoding: string | undefined): void {
  if (encoding === undefined || encoding.trim().toLowerCase() === "identity") return;
  throw new DomainError(
    "UNSUPPORTED_MEDIA_TYPE",
    `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not accepted: send the body uncompressed.`,
  );
}

const limitTo = (maxSize: number, message?: string) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge(message);
    },
  });

/** The rest of a refused body is never read: the connection must not carry another request. */
function closingWhenRefused(limited: MiddlewareHandler): MiddlewareHandler {
  return async (c, next) => {
    try {
      await limited(c, next);
    } catch (error) {
      if (error instanceof DomainError && error.code === "PAYLOAD_TOO_LARGE") c.header("connection", "close");
      throw error;
    }
  };
}

async function readInto(
  c: Context,
  incoming: IncomingMessage,
  limit: number,
  message?: string,
): Promise<void> {
  const declared = Number(incoming.headers["content-length"] ?? 0);
  if (declared > limit) throw tooLarge(message);
  supplyBody(c, await readBytes(incoming, limit, message));
}

/**
 * Hands Hono a request's body already read, as bytes: the JSON depth check decodes them once and
 * supplies the text the validator parses (jsonDepthLimit). Supplied as text, Hono made bytes of
 * it again through a fetch Response for that check, a 512 KiB body's slowest step.
 */
function supplyBody(c: Context, bytes: Buffer): void {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const buffer = (
    whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  ) as ArrayBuffer;
  (c.req.bodyCache as { arrayBuffer?: Promise<ArrayBuffer> }).arrayBuffer = Promise.resolve(buffer);
}

/**
 * Hands Hono a request's body already read, so `c.req.json()` and the JSON validator parse it
 * without reading `c.req.raw`. Hono has no public way to do this: its body readers look in
 * `c.req.bodyCache` first (a Promise per reader, though typed as the reader itself).
 * test/api/hono-body-cache.test.ts fails if a Hono upgrade stops doing so.
 */
export function supplyBodyText(c: Context, text: string): void {
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
}

function incomingOf(c: Context): IncomingMessage | undefined {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.readable === true ? env.incoming : undefined;
}

async function readBytes(incoming: IncomingMessage, maxBytes: number, message?: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(message);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
