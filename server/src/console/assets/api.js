// @ts-check
/**
 * The public HTTP API, called exactly as any client would: `Authorization: Bearer <key>`.
 * The key lives in sessionStorage only — never a cookie (it would ride along on every request and
 * invite CSRF) and never localStorage (it would outlive the tab).
 */

const STORAGE_KEY = "rapfs.apiKey";

export const session = {
  /** @returns {string | null} */
  get key() {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  /** @param {string} key */
  set(key) {
    sessionStorage.setItem(STORAGE_KEY, key);
    window.dispatchEvent(new Event("rapfs:session"));
  },
  clear() {
    sessionStorage.removeItem(STORAGE_KEY);
    window.dispatchEvent(new Event("rapfs:session"));
  },
};

/**
 * @typedef {{type?: string, title?: string, status?: number, detail?: string, code?: string,
 *   request_id?: string, errors?: {detail: string, pointer?: string}[]}} Problem
 */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Problem} problem
   */
  constructor(status, problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * An absolute URL for an API path, resolved against the page (which is served at <base>/console),
 * so the console also works behind a path prefix.
 * @param {string} path e.g. "v1/keys"
 */
export const apiUrl = (path) => new URL(path.replace(/^\//, ""), document.baseURI).href;

/**
 * @typedef {{method?: string, body?: unknown, key?: string | null, signal?: AbortSignal,
 *   query?: Record<string, string | number | undefined>}} CallOptions
 */

/**
 * The raw response of a call; a non-2xx answer becomes an ApiError carrying its problem+json.
 * @param {string} path
 * @param {CallOptions} [options]
 */
export async function request(path, options = {}) {
  const key = options.key === undefined ? session.key : options.key;
  const url = new URL(apiUrl(path));
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== "") url.searchParams.set(name, String(value));
  }
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
    credentials: "omit",
    cache: "no-store",
  });
  if (response.ok) return response;
  /** @type {Problem} */
  let problem = { status: response.status, title: response.statusText };
  try {
    problem = await response.json();
  } catch {
    // Not problem+json (a proxy's page): keep the status line.
  }
  // The session's own key stopped working (revoked, expired, account disabled): sign out.
  if (response.status === 401 && options.key === undefined && key) {
    window.dispatchEvent(new CustomEvent("rapfs:unauthorized", { detail: problem.detail }));
  }
  throw new ApiError(response.status, problem);
}

/**
 * A call's parsed JSON body.
 * @param {string} path
 * @param {CallOptions} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options) {
  const response = await request(path, options);
  return response.status === 204 ? undefined : response.json();
}

/** @param {string} segment */
export const enc = (segment) => encodeURIComponent(segment);
