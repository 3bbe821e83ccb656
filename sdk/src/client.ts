import { APIPromise, type APIResponseProps } from "./core/api-promise";
import { APIUserAbortError, RapFSError } from "./core/errors";
import type { FinalRequestOptions, HTTPMethod, RequestOptions } from "./core/request-options";
import { isServerRuntime, readEnv } from "./internal/env";
import { type HeadersLike, headerRecord, mergeHeaders } from "./internal/headers";
import { type Logger, type LogLevel, levelled, resolveLogLevel } from "./internal/log";
import { bufferedText, nodeFetch } from "./internal/node-fetch";
import { encodeQuery } from "./internal/query";
import { isIdempotent } from "./internal/retry";
import { type Fetch, type PreparedRequest, send } from "./internal/transport";
import { Admin } from "./resources/admin";
import { Datasets } from "./resources/datasets";
import { Embeddings } from "./resources/embeddings";
import { Features } from "./resources/features";
import { Keys, type SignupParams, type SignupResponse, type Usage } from "./resources/keys";
import { Registry } from "./resources/registry";
import { VERSION } from "./version";

export const DEFAULT_BASE_URL = "http://localhost:8080";
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRIES = 2;

export interface ClientOptions {
  /**
   * API key sent as `Authorization: Bearer …`. Defaults to env `RAPFS_API_KEY`; without either the
   * constructor throws. `null` sends none (a client for signup and other public routes).
   */
  apiKey?: string | null | undefined;
  /** Defaults to env `RAPFS_BASE_URL`, then `http://localhost:8080`. */
  baseURL?: string | undefined;
  /**
   * Milliseconds to wait for response headers, per attempt; a download also waits this long at
   * most between two chunks of its body, however long the whole file takes. Default 30 000.
   */
  timeout?: number | undefined;
  /** Retries after the first attempt, for failures that are safe to retry. Default 2. */
  maxRetries?: number | undefined;
  /** A `fetch` implementation; defaults to the global one. */
  fetch?: Fetch | undefined;
  /** Sent with every request; per-call headers override them, `null` removes one. */
  defaultHeaders?: HeadersLike | undefined;
  /**
   * What to log: `off`, `error`, `warn` (waits of 5 s or more before a retry, e.g. for a
   * `Retry-After`), `info` (every retry, and a `Retry-After` too long to wait for) or `debug`
   * (every attempt and answer). Defaults to env `RAPFS_LOG`, then `warn`.
   */
  logLevel?: LogLevel | undefined;
  /** Where log lines go (`error`/`warn`/`info`/`debug` methods). Defaults to `console`. */
  logger?: Logger | undefined;
}

/** The rapfs client. Resource namespaces (`features`, `embeddings`, …) hang off it. */
export class RapFS {
  readonly apiKey: string | undefined;
  readonly baseURL: string;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly logLevel: LogLevel;
  readonly logger: Logger;
  readonly #options: ClientOptions;
  readonly #fetch: Fetch;
  readonly #log: Logger;
  /** Every request's headers before its own, without and with a JSON body, merged once. */
  readonly #headers: { plain: Record<string, string>; json: Record<string, string> };

  /** Online feature values of one entity or many. */
  readonly features = new Features(this);
  /** Vectors and nearest-neighbour search. */
  readonly embeddings = new Embeddings(this);
  /** The catalog: entities, feature views and versions, services, embeddings, datasets. */
  readonly registry = new Registry(this);
  /** Bulk downloads, dataset cards and point-in-time training data. */
  readonly datasets = new Datasets(this);
  /** The calling key's account's API keys. */
  readonly keys = new Keys(this);
  /** Operator routes (a key with the `admin` scope): every account, paginated. */
  readonly admin = new Admin(this);

  constructor(options: ClientOptions = {}) {
    this.#options = options;
    this.apiKey = options.apiKey === null ? undefined : (options.apiKey ?? readEnv("RAPFS_API_KEY"));
    if (options.apiKey !== null && !this.apiKey) {
      throw new RapFSError(
        "The RAPFS_API_KEY environment variable is missing or empty: set it, or pass a key as " +
          '`new RapFS({ apiKey: "rapfs_…" })`. A client for the public routes only (signup, health, ' +
          "the public dataset's card) takes `apiKey: null`.",
      );
    }
    this.baseURL = (options.baseURL ?? readEnv("RAPFS_BASE_URL") ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.timeout = validated("timeout", options.timeout ?? DEFAULT_TIMEOUT_MS);
    this.maxRetries = validated("maxRetries", options.maxRetries ?? DEFAULT_MAX_RETRIES, true);
    this.logger = options.logger ?? console;
    this.logLevel = resolveLogLevel(options.logLevel, this.logger);
    this.#log = levelled(this.logLevel, this.logger);
    if (!options.fetch && typeof fetch !== "function") {
      throw new RapFSError("No global fetch; pass one with `new RapFS({ fetch })`.");
    }
    // A fetch of the caller's own gets a Headers instance, as it always has (one may call
    // init.headers.get). Otherwise Node's own HTTP client where it can be had (node-fetch.ts),
    // else the global fetch, looked up per call so a polyfill installed later is used; both get
    // the plain object, which they copy with less work.
    const own = options.fetch;
    this.#fetch = own
      ? (url, init) => own(url, { ...init, headers: new Headers(init.headers) })
      : (nodeFetch() ?? ((url, init) => fetch(url, init)));
    const defaults = (body: boolean) =>
      headerRecord(
        { accept: "application/json" },
        body ? { "content-type": "application/json" } : undefined,
        this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : undefined,
        isServerRuntime() ? { "user-agent": `rapfs-sdk-ts/${VERSION}` } : undefined,
        options.defaultHeaders,
      );
    this.#headers = { plain: defaults(false), json: defaults(true) };
  }

  /** A client with these options on top of this one's. */
  withOptions(options: Partial<ClientOptions>): RapFS {
    return new RapFS({ ...this.#options, apiKey: this.apiKey ?? null, baseURL: this.baseURL, ...options });
  }

  /** The calling account's quotas, what is left of them, and daily history. */
  usage(params: { days?: number } = {}, options?: RequestOptions): APIPromise<Usage> {
    return this.get("/v1/usage", { ...options, query: { days: params.days } });
  }

  /**
   * Creates a free account and returns its first key, shown only this once. Needs no key (none
   * is sent even if the client has one) and is never retried: a repeat would answer 409.
   */
  signup(params: SignupParams, options?: RequestOptions): APIPromise<SignupResponse> {
    return this.post("/v1/signup", {
      ...options,
      body: params,
      headers: withoutKey(options?.headers),
    });
  }

  get<T>(path: string, options?: Omit<FinalRequestOptions, "method" | "path">): APIPromise<T> {
    return this.request({ ...options, method: "get", path });
  }
  post<T>(path: string, options?: Omit<FinalRequestOptions, "method" | "path">): APIPromise<T> {
    return this.request({ ...options, method: "post", path });
  }
  put<T>(path: string, options?: Omit<FinalRequestOptions, "method" | "path">): APIPromise<T> {
    return this.request({ ...options, method: "put", path });
  }
  patch<T>(path: string, options?: Omit<FinalRequestOptions, "method" | "path">): APIPromise<T> {
    return this.request({ ...options, method: "patch", path });
  }
  delete<T>(path: string, options?: Omit<FinalRequestOptions, "method" | "path">): APIPromise<T> {
    return this.request({ ...options, method: "delete", path });
  }

  /**
   * Sends one call, with retries and timeouts. Awaiting the result gives the parsed JSON body;
   * `.asResponse()` gives the raw `Response` for streaming.
   */
  request<T>(options: FinalRequestOptions): APIPromise<T> {
    const responsePromise = (async (): Promise<APIResponseProps> => {
      const prepared = this.prepare(options);
      const response = await send(this.#fetch, prepared, {
        timeout: validated("timeout", options.timeout ?? this.timeout),
        maxRetries: validated("maxRetries", options.maxRetries ?? this.maxRetries, true),
        retryable: isIdempotent(options.method, options.idempotent),
        signal: options.signal,
        stream: options.stream === true,
        log: this.#log,
      });
      const requestId = response.headers.get("x-request-id") ?? prepared.requestId;
      return { response, requestId, signal: options.signal };
    })();
    return new APIPromise<T>(responsePromise, parseBody as (props: APIResponseProps) => Promise<T>);
  }

  private prepare(options: FinalRequestOptions): PreparedRequest {
    const method: HTTPMethod = options.method;
    const query = encodeQuery(options.query, options.arrayFormat);
    const base = /^https?:\/\//i.test(options.path)
      ? options.path
      : `${this.baseURL}/${options.path.replace(/^\/+/, "")}`;
    const url = query ? `${base}${base.includes("?") ? "&" : "?"}${query}` : base;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);

    const defaults = body === undefined ? this.#headers.plain : this.#headers.json;
    // The caller's own headers go through Headers' checks here, so a bad value throws before any
    // attempt (in fetch it would look like a connection error and be retried).
    const mine = options.requestId === undefined ? undefined : { "x-request-id": options.requestId };
    const headers = options.headers || mine ? headerRecord(defaults, options.headers, mine) : { ...defaults };
    const requestId = headers["x-request-id"] ?? newRequestId();
    if (requestId) headers["x-request-id"] = requestId;
    return { method, url, headers, body, requestId };
  }
}

/** The caller's headers with any API key removed (`null` deletes the client's default). */
function withoutKey(headers: HeadersLike | undefined): Record<string, string | null> {
  const result: Record<string, string | null> = {};
  mergeHeaders(headers).forEach((value, name) => {
    result[name] = value;
  });
  return { ...result, authorization: null, "x-api-key": null };
}

async function parseBody(props: APIResponseProps): Promise<unknown> {
  const { response, signal } = props;
  try {
    if (
      response.status === 204 ||
      response.status === 205 ||
      response.headers.get("content-length") === "0"
    ) {
      response.body?.cancel().catch(() => {});
      return undefined;
    }
    const type = response.headers.get("content-type") ?? "";
    const json = /[/+]json\b/i.test(type);
    // Read whole by Node's transport: parsed from its bytes, without a pass through the body's stream.
    const buffered = bufferedText(response);
    if (buffered !== undefined) return json ? JSON.parse(buffered) : buffered;
    return json ? await response.json() : await response.text();
  } catch (error) {
    if (signal?.aborted) throw new APIUserAbortError({ cause: error, requestId: props.requestId });
    throw error;
  }
}

function newRequestId(): string | undefined {
  // randomUUID is missing outside secure contexts (plain-http pages); the server then assigns one.
  return typeof crypto !== "undefined" && typeof crypto.randomUUID === "function"
    ? crypto.randomUUID()
    : undefined;
}

function validated(name: string, value: number, integer = false): number {
  if (
    typeof value !== "number" ||
    Number.isNaN(value) ||
    value < 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new RapFSError(`${name} must be a non-negative ${integer ? "integer" : "number"}, got ${value}`);
  }
  return value;
}
