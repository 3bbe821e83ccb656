import type { ClientRequest, Agent as HttpAgent, IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { followed, viaFetch } from "./node-redirect";
import type { Fetch } from "./transport";

/** Bodies up to this size are read whole before the Response is made: its JSON parse is then one pass over bytes. */
const BUFFERED_BYTES = 1024 * 1024;
const IDLE_MS = 4_000;
/** How long a body may send nothing once its headers are in: undici's `bodyTimeout`. */
const BODY_IDLE_MS = 300_000;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Where undici keeps the dispatcher `setGlobalDispatcher` installs (its own and npm's undici alike). */
const UNDICI_DISPATCHER = Symbol.for("undici.globalDispatcher.1");

type Modules = {
  http: typeof import("node:http");
  https: typeof import("node:https");
  stream: typeof import("node:stream");
  zlib: typeof import("node:zlib");
};

/** What the SDK's transport tells this one about a call, beside its RequestInit. */
export type TransportHints = {
  /** A download: its body is read as it comes, never whole first, so its timeout stays the wait between bytes. */
  stream: boolean;
  /** Called when the response's headers are in (the attempt's timeout is for them alone). */
  onHeaders?: () => void;
};
const HINTS = Symbol("rapfs.transportHints");

export function withHints(init: RequestInit, hints: TransportHints): RequestInit {
  return Object.assign(init, { [HINTS]: hints });
}

/**
 * The default transport on Node: node:http with keep-alive agents, where fetch (undici) spends
 * more than twice the CPU per call on the same request (`pnpm bench sdk`), and a model server
 * calls `features.get` per prediction. Loaded with `process.getBuiltinModule` (Node ≥ 20.16),
 * never imported, so bundles for browsers see no Node module; on older Node, Bun and Deno, or
 * when the caller passes a `fetch` or installed an undici dispatcher of another kind (a proxy, a
 * mock), the global fetch is used. It answers a real `Response`; a redirect is followed through
 * fetch by fetch's rules; gzip, deflate and brotli bodies are decoded as fetch decodes them.
 */
export function nodeFetch(): Fetch | undefined {
  shared ??= { fetch: made() };
  return shared.fetch;
}

/** One pool of connections per process, shared by every client, as undici's global dispatcher is. */
let shared: { fetch: Fetch | undefined } | undefined;

function made(): Fetch | undefined {
  const modules = nodeModules();
  if (!modules) return undefined;
  // An idle connection is closed after 4 s, or a second before the server's keep-alive hint if
  // that is sooner (undici's defaults): Node's agent applies the hint only under a timeout of its own.
  const kept = { keepAlive: true, timeout: IDLE_MS };
  const agents: Record<string, HttpAgent> = {
    "http:": new modules.http.Agent(kept),
    "https:": new modules.https.Agent(kept),
  };
  const fetch: Fetch = (url, init) =>
    undiciConfigured() ? viaFetch(url, init) : send(modules, agents, url, init, true);
  return Object.assign(fetch, { [PLAIN_SIGNALS]: true });
}

function nodeModules(): Modules | undefined {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (typeof proc?.versions?.node !== "string" || "Bun" in globalThis || "Deno" in globalThis)
    return undefined;
  if (typeof proc.getBuiltinModule !== "function") return undefined;
  try {
    return {
      http: proc.getBuiltinModule("node:http"),
      https: proc.getBuiltinModule("node:https"),
      stream: proc.getBuiltinModule("node:stream"),
      zlib: proc.getBuiltinModule("node:zlib"),
    };
  } catch {
    // A runtime that says it is Node without all of Node's modules (an edge runtime's compatibility layer).
    return undefined;
  }
}

/**
 * A dispatcher someone installed for fetch (a proxy, a mock, an Agent with its own TLS or
 * interceptors): not the plain Agent fetch makes itself, whose options name neither.
 */
function undiciConfigured(): boolean {
  const dispatcher = (globalThis as Record<symbol, Record<symbol, unknown> | undefined>)[UNDICI_DISPATCHER];
  if (dispatcher === undefined) return false;
  if (dispatcher.constructor?.name !== "Agent") return true;
  const key = Object.getOwnPropertySymbols(dispatcher).find((symbol) => symbol.description === "options");
  const options = (key ? dispatcher[key] : undefined) as
    | { connect?: unknown; interceptors?: unknown }
    | undefined;
  return options?.connect !== undefined || options?.interceptors !== undefined;
}

/** Marks a transport that takes a plain abort signal (abort.ts `PlainAbort`): this one. */
export const PLAIN_SIGNALS = Symbol("rapfs.plainSignals");

export function takesPlainSignals(fetch: Fetch): boolean {
  return (fetch as { [PLAIN_SIGNALS]?: boolean })[PLAIN_SIGNALS] === true;
}

/** The bytes of a body this transport read whole, as text, for a parse that skips the Response's stream. */
const bufferedBodies = new WeakMap<Response, Uint8Array>();
const utf8 = new TextDecoder();

export function bufferedText(response: Response): string | undefined {
  const bytes = bufferedBodies.get(response);
  return bytes === undefined || response.bodyUsed ? undefined : utf8.decode(bytes);
}

function send(
  modules: Modules,
  agents: Record<string, HttpAgent>,
  url: string,
  init: RequestInit,
  firstTry: boolean,
): Promise<Response> {
  const target = new URL(url);
  const agent = agents[target.protocol];
  const signal = init.signal ?? undefined;
  if (!agent) return viaFetch(url, init);
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const hints = (init as { [HINTS]?: TransportHints })[HINTS];
  const method = (init.method ?? "GET").toUpperCase();
  const body = typeof init.body === "string" ? init.body : undefined;
  const headers = { ...(init.headers as Record<string, string>) };
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  return new Promise<Response>((resolve, reject) => {
    let request: ClientRequest;
    try {
      request = (target.protocol === "https:" ? modules.https : modules.http).request(target, {
        method,
        headers,
        agent,
      });
    } catch (error) {
      reject(error);
      return;
    }
    let response: IncomingMessage | undefined;
    const onAbort = () => {
      const reason = abortReason(signal as AbortSignal);
      request.destroy(reason as Error);
      response?.destroy(reason as Error);
      reject(reason);
    };
    const done = () => signal?.removeEventListener("abort", onAbort);
    signal?.addEventListener("abort", onAbort, { once: true });
    const fail = (error: unknown) => {
      done();
      reject(error);
    };
    request.once("response", (res) => {
      response = res;
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status) && res.headers.location) {
        res.resume();
        done();
        // A Location no URL can be made of fails the call, as fetch fails it.
        Promise.resolve()
          .then(() => followed(url, init, method, status, res.headers.location as string))
          .then(resolve, reject);
        return;
      }
      if (status < 200 || status > 599) {
        res.destroy();
        fail(new Error(`The server answered with status ${status}, which HTTP responses do not have`));
        return;
      }
      hints?.onHeaders?.();
      // The attempt's timeout was for the headers; a body that stalls ends after undici's bodyTimeout.
      res.setTimeout(BODY_IDLE_MS, () =>
        res.destroy(new Error(`No bytes of the body for ${BODY_IDLE_MS} ms`)),
      );
      const made = { status, statusText: res.statusMessage ?? "", headers: pairs(res.rawHeaders) };
      const noBody = status === 204 || status === 205 || status === 304 || method === "HEAD";
      const length = Number(res.headers["content-length"]);
      const content = noBody ? res : decoded(modules, res, fail);
      if (noBody || (!hints?.stream && Number.isFinite(length) && length <= BUFFERED_BYTES)) {
        const chunks: Buffer[] = [];
        content.on("data", (chunk: Buffer) => chunks.push(chunk));
        content.once("end", () => {
          done();
          const bytes = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)) as Uint8Array<ArrayBuffer>;
          const answered = responseOf(noBody ? null : bytes, made);
          if (answered instanceof Error) return reject(answered);
          if (!noBody) bufferedBodies.set(answered, bytes);
          resolve(answered);
        });
        content.once("error", fail);
        return;
      }
      // A body the caller reads as it comes (a download): the signal still cuts it, until it ends.
      res.once("close", done);
      const answered = responseOf(modules.stream.Readable.toWeb(content) as ReadableStream<Uint8Array>, made);
      if (answered instanceof Error) {
        res.destroy();
        return fail(answered);
      }
      resolve(answered);
    });
    request.once("error", (error: NodeJS.ErrnoException) => {
      if (signal?.aborted) return done();
      // A kept-alive socket the server closed as this request went out: nothing was answered, so
      // a GET goes again on a new one (Node's advice for `reusedSocket`); other methods fail as
      // they would with fetch, and the SDK retries them only where they are safe to repeat.
      const again = firstTry && request.reusedSocket && error.code === "ECONNRESET" && response === undefined;
      if (again && (method === "GET" || method === "HEAD")) {
        done();
        send(modules, agents, url, init, false).then(resolve, reject);
        return;
      }
      fail(error);
    });
    request.end(body);
  });
}

/** The body as its Content-Encoding says to decode it, as fetch does; an unknown encoding as sent. */
function decoded(modules: Modules, res: IncomingMessage, fail: (error: unknown) => void): Readable {
  const encoding = String(res.headers["content-encoding"] ?? "")
    .trim()
    .toLowerCase();
  const { zlib, stream } = modules;
  const decoder =
    encoding === "gzip" || encoding === "x-gzip"
      ? zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH })
      : encoding === "deflate"
        ? zlib.createInflate({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH })
        : encoding === "br"
          ? zlib.createBrotliDecompress({
              flush: zlib.constants.BROTLI_OPERATION_FLUSH,
              finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
            })
          : undefined;
  if (!decoder) return res;
  return stream.pipeline(res, decoder, (error) => {
    if (error) fail(error);
  });
}

// Fetch's reason-phrase: what `new Response` takes as a status text.
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The Response, or why none can be made. A status text Node takes and a Response does not is
 * dropped before the Response is made: a global Response replaced by a lazy one (@hono/node-server
 * in the same process) would only throw once the body is read.
 */
function responseOf(body: BodyInit | null, init: ResponseInit): Response | Error {
  try {
    return new Response(body, REASON_PHRASE.test(init.statusText ?? "") ? init : { ...init, statusText: "" });
  } catch {
    try {
      return new Response(body, { ...init, statusText: "" });
    } catch (error) {
      return error as Error;
    }
  }
}

function pairs(raw: string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) result.push([raw[i] as string, raw[i + 1] as string]);
  return result;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}
