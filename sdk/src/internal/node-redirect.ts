/**
 * A redirect, followed through fetch by fetch's rules: 303 (and 301 or 302 after a POST) becomes a
 * GET without the body, and the key is not sent to another origin. fetch follows any further hop.
 */
export function followed(url: string, init: RequestInit, method: string, status: number, location: string) {
  const from = new URL(url);
  const to = new URL(location, from);
  const toGet = status === 303 ? method !== "HEAD" : (status === 301 || status === 302) && method === "POST";
  const headers = { ...(init.headers as Record<string, string>) };
  if (toGet) {
    delete headers["content-type"];
    delete headers["content-length"];
  }
  if (to.origin !== from.origin) delete headers.authorization;
  return viaFetch(to.href, {
    ...init,
    method: toGet ? "GET" : method,
    headers,
    body: toGet ? undefined : init.body,
  });
}

/** The global fetch, given a real AbortSignal in place of a plain one (undici checks its kind). */
export function viaFetch(url: string, init: RequestInit): Promise<Response> {
  if (!init.signal || init.signal instanceof AbortSignal) return fetch(url, init);
  const signal = init.signal as Pick<AbortSignal, "aborted" | "reason" | "addEventListener">;
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  return fetch(url, { ...init, signal: controller.signal });
}
