import type { ClientRequest, Agent as HttpAgent, IncomingMessage } from "node:http";
import type { Fetch } from "./transport";

/** Bodies up to this size are read whole before the Response is made: its JSON parse is then one pass over bytes. */
const BUFFERED_BYTES = 1024 * 1024;

const IDLE_MS = 4_000;

type Modules = {
  http: typeof import("node:http");
  https: typeof import("node:https");
  stream: typeof import("node:stream");
};

/**
 * The default transport on Node: node:http with keep-alive agents, where fetch (undici) spends
 * more than twice the CPU per call on the same request (`pnpm bench sdk`: ~80 against ~210 µs a
 * lookup, the client's own CPU), and a model server calls `features.get` per prediction. Loaded
 * with `process.getBuiltinModule` (Node ≥ 20.16), never imported, so bundles for browsers see no
 * Node module; elsewhere, on older Node, Bun and Deno, the global fetch is used, as it is when
 * the caller passes a `fetch`. It answers a real `Response`, so nothing downstream changes; a
 * redirected request is sent again through fetch, which follows it.
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
  const fetch: Fetch = (url, init) => send(modules, agents, url, init, true);
  return Object.assign(fetch, { [PLAIN_SIGNALS]: true });
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

function nodeModules(): Modules | undefined {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (typeof proc?.versions?.node !== "string" || "Bun" in globalThis || "Deno" in globalThis)
    return undefined;
  if (typeof proc.getBuiltinModule !== "function") return undefined;
  return {
    http: proc.getBuiltinModule("node:http"),
    https: proc.getBuiltinModule("node:https"),
    stream: proc.getBuiltinModule("node:stream"),
  };
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
  if (!agent) return fetch(url, init);
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const client = target.protocol === "https:" ? modules.https : modules.http;
  const body = typeof init.body === "string" ? init.body : undefined;
  const headers = { ...(init.headers as Record<string, string>) };
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  return new Promise<Response>((resolve, reject) => {
    let request: ClientRequest | undefined;
    let response: IncomingMessage | undefined;
    const onAbort = () => {
      const reason = abortReason(signal as AbortSignal);
      request?.destroy(reason as Error);
      response?.destroy(reason as Error);
      reject(reason);
    };
    const done = () => signal?.removeEventListener("abort", onAbort);
    signal?.addEventListener("abort", onAbort, { once: true });
    request = client.request(target, { method: init.method ?? "GET", headers, agent }, (res) => {
      response = res;
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        // Sent again through fetch, which follows it by the spec's rules (the method kept for a
        // 307 or 308, the key dropped for another origin), as every redirect was before.
        res.resume();
        done();
        fetch(url, init).then(resolve, reject);
        return;
      }
      const made = { status, statusText: res.statusMessage ?? "", headers: pairs(res.rawHeaders) };
      const length = Number(res.headers["content-length"]);
      const noBody = status === 204 || status === 205 || status === 304 || init.method === "HEAD";
      if (noBody || (Number.isFinite(length) && length <= BUFFERED_BYTES)) {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.once("end", () => {
          done();
          const bytes = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)) as Uint8Array<ArrayBuffer>;
          const answered = new Response(noBody ? null : bytes, made);
          if (!noBody) bufferedBodies.set(answered, bytes);
          resolve(answered);
        });
        res.once("error", (error) => {
          done();
          reject(error);
        });
        return;
      }
      // A stream the caller reads (a download): the signal still cuts it, until it ends.
      res.once("close", done);
      const stream = modules.stream.Readable.toWeb(res) as ReadableStream<Uint8Array>;
      resolve(new Response(stream, made));
    });
    request.once("error", (error: NodeJS.ErrnoException) => {
      done();
      if (signal?.aborted) return;
      // A kept-alive socket the server closed as this request went out: nothing was answered,
      // so it goes again on a new one (what Node's documentation advises for `reusedSocket`).
      if (firstTry && request?.reusedSocket && error.code === "ECONNRESET" && response === undefined) {
        send(modules, agents, url, init, false).then(resolve, reject);
        return;
      }
      reject(error);
    });
    request.end(body);
  });
}

function pairs(raw: string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) result.push([raw[i] as string, raw[i + 1] as string]);
  return result;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}
