/**
 * What the server said about the caller's quota, read from the `RateLimit` and `RateLimit-Policy`
 * headers (IETF httpapi-ratelimit-headers, both the current structured-field form
 * `"default";r=0;t=30` and the older `limit=60, remaining=0, reset=30` form) or from the legacy
 * `RateLimit-Limit`/`-Remaining`/`-Reset` headers.
 */
export interface RateLimitInfo {
  /** Name of the policy that limited the request, when the server names it. */
  policy?: string;
  /** Quota units allowed per window. */
  limit?: number;
  /** Quota units left in the current window. */
  remaining?: number;
  /** Seconds until the window resets. */
  reset?: number;
  /** Window length in seconds. */
  window?: number;
  /** What the quota counts when not requests, e.g. `rows`. */
  unit?: string;
}

interface SfItem {
  value: string;
  params: Record<string, string>;
}

/** Splits a structured-field list on commas that are not inside a quoted string. */
function splitList(header: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const ch = header[i] as string;
    if (ch === "\\" && quoted) {
      current += ch + (header[++i] ?? "");
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === "," && !quoted) {
      parts.push(current.trim());
      current = "";
    } else {
      current += ch;
    }
  }
  if (current.trim()) parts.push(current.trim());
  return parts.filter(Boolean);
}

function unquote(value: string): string {
  const v = value.trim();
  return v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, "$1") : v;
}

function parseItem(raw: string): SfItem {
  const [first = "", ...rest] = raw.split(";");
  const params: Record<string, string> = {};
  for (const param of rest) {
    const eq = param.indexOf("=");
    if (eq > 0) params[param.slice(0, eq).trim().toLowerCase()] = unquote(param.slice(eq + 1));
  }
  return { value: unquote(first), params };
}

function num(value: string | null | undefined): number | undefined {
  if (value == null || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function clean(info: RateLimitInfo): RateLimitInfo | undefined {
  const entries = Object.entries(info).filter(([, v]) => v !== undefined);
  return entries.length ? (Object.fromEntries(entries) as RateLimitInfo) : undefined;
}

interface Policy {
  limit?: number | undefined;
  window?: number | undefined;
  unit?: string | undefined;
}

function parsePolicies(header: string | null): Map<string, Policy> {
  const policies = new Map<string, Policy>();
  if (!header) return policies;
  for (const item of splitList(header).map(parseItem)) {
    // Older drafts list `100;w=60` (the quota is the item); current ones `"name";q=100;w=60`.
    const named = item.params.q !== undefined;
    const name = named ? item.value : "";
    const limit = num(named ? item.params.q : item.value);
    if (!policies.has(name)) policies.set(name, { limit, window: num(item.params.w), unit: item.params.qu });
  }
  return policies;
}

/**
 * The quota state in the response headers. `policy` names the policy to report (a 429's problem
 * says which one refused the request); without it, the one with the fewest units left.
 */
export function parseRateLimit(headers: Headers, policy?: string): RateLimitInfo | undefined {
  const policies = parsePolicies(headers.get("ratelimit-policy"));
  const header = headers.get("ratelimit");
  if (header) {
    const items = splitList(header);
    if (items.some((i) => /^(limit|remaining|reset)\s*=/i.test(i))) {
      const dict = Object.fromEntries(items.map((i) => i.split("=").map((s) => s.trim().toLowerCase())));
      const only = policies.get("");
      return clean({
        limit: num(dict.limit) ?? only?.limit,
        remaining: num(dict.remaining),
        reset: num(dict.reset),
        window: only?.window,
      });
    }
    const parsed = items.map(parseItem).filter((i) => num(i.params.r) !== undefined);
    // Counts of different units (requests, rows, downloads) are not comparable, so the fewest left
    // is only a guess at which policy bites; a named policy is an answer.
    const chosen =
      policy === undefined
        ? parsed.sort((a, b) => (num(a.params.r) ?? 0) - (num(b.params.r) ?? 0))[0]
        : parsed.find((i) => i.value === policy);
    const name = chosen?.value ?? policy;
    if (name !== undefined) {
      const declared = policies.get(name);
      return clean({
        policy: name || undefined,
        limit: declared?.limit,
        remaining: num(chosen?.params.r),
        reset: num(chosen?.params.t),
        window: declared?.window,
        unit: declared?.unit,
      });
    }
  }
  const legacy = (name: string) =>
    num(headers.get(`ratelimit-${name}`) ?? headers.get(`x-ratelimit-${name}`));
  const [firstPolicy] = policies.values();
  return clean({
    policy,
    limit: legacy("limit") ?? firstPolicy?.limit,
    remaining: legacy("remaining"),
    reset: legacy("reset"),
    window: firstPolicy?.window,
  });
}

/**
 * Seconds the server asked the client to wait, from `retry-after-ms` (milliseconds) or
 * `Retry-After` (delta-seconds or an HTTP date); undefined when neither is usable.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = num(headers.get("retry-after-ms"));
  if (ms !== undefined && ms >= 0) return ms / 1000;
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = num(value);
  if (seconds !== undefined) return seconds >= 0 ? seconds : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}
