import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProblemSchema } from "../../src/api/errors/problem";
import type { RunningServer } from "../../src/runtime/start-server";
import { ADMIN_KEY, startServing } from "../serving/support";

type Operation = { method: string; path: string; params: { name: string; in: string }[] };

let server: RunningServer;
let operations: Operation[] = [];
const tally = { cases: 0, byStatus: new Map<number, number>() };

beforeAll(async () => {
  server = await startServing();
  const doc = (await (await server.app.request("/openapi.json")).json()) as {
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => ["get", "post", "put", "patch", "delete"].includes(method))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, params: op.parameters ?? [] })),
  );
}, 300_000);
afterAll(async () => {
  await server?.shutdown();
  const statuses = [...tally.byStatus].sort((a, b) => a[0] - b[0]);
  console.info(
    `route fuzz: ${tally.cases} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
  );
});

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "1",
    "0",
    "-1",
    "42",
    "1e309",
    "NaN",
    "null",
    "track",
    "artist",
    "lyrics",
    "qwen_analysis@1:*",
  ),
  fc.constantFrom("%", "%00", "..%2F..", "a".repeat(5_000), "🎤", "' or 1=1 --", "\u0000", "[]", "{}"),
  // Lone surrogates, and the percent-encoded bytes of invalid UTF-8.
  fc.constantFrom("\ud800", "a\udfffb", "\udc00\ud800", "%ff%fe", "%c3%28", "%ed%a0%80"),
  fc
    .tuple(fc.string({ maxLength: 10 }), fc.constantFrom("\u0000", "\ud800", "\udfff"))
    .map(([a, b]) => a + b),
  fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }).map(String),
);
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .record({
      ids: fc.array(fc.oneof(fc.integer(), text), { maxLength: 30 }),
      features: fc.array(text, { maxLength: 5 }),
    })
    .map((v) => JSON.stringify(v)),
  fc
    .record({ vector: fc.array(fc.double(), { maxLength: 400 }), k: fc.oneof(fc.integer(), text), id: text })
    .map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom("", "{", "null", "[", '{"ids":', "x".repeat(3_000_000), `{"ids":[${"1,".repeat(5_000)}1]}`),
  // Invalid UTF-8 inside otherwise well-formed JSON: raw bytes, not a JS string.
  fc
    .constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00])
    .map((bad) =>
      Buffer.concat([
        Buffer.from('{"email":"a'),
        Buffer.from(bad),
        Buffer.from('@x.io","name":"n","ids":[1],"features":["t'),
        Buffer.from(bad),
        Buffer.from('"],"vector":[1],"id":1}'),
      ]),
    ),
);
const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "text/csv",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "application/x-www-form-urlencoded",
  "garbage/\u00ff",
  undefined,
);
const auth = fc.constantFrom(
  `Bearer ${ADMIN_KEY}`,
  `Bearer ${ADMIN_KEY}`,
  `Bearer ${ADMIN_KEY}`,
  undefined,
  "Bearer rapfs_nope",
  "Basic eA==",
);

/** encodeURIComponent, with a lone surrogate sent as its (invalid UTF-8) three WTF-8 bytes. */
function encodePathValue(value: string): string {
  return [...value]
    .map((char) => {
      const code = char.charCodeAt(0);
      if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
        return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
          .map((byte) => `%${byte.toString(16).toUpperCase()}`)
          .join("");
      }
      return encodeURIComponent(char);
    })
    .join("");
}

function requestArb(op: Operation) {
  const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  const queryNames = op.params.filter((p) => p.in === "query").map((p) => p.name);
  return fc.record({
    path: fc
      .tuple(...pathParams.map(() => text))
      .map((values) =>
        pathParams.reduce(
          (path, name, i) => path.replace(`{${name}}`, encodePathValue(values[i] ?? "")),
          op.path,
        ),
      ),
    query: fc.array(
      fc.tuple(fc.oneof(fc.constantFrom(...queryNames, "x"), fc.string({ maxLength: 8 })), text),
      { maxLength: 5 },
    ),
    body,
    contentType,
    auth,
    method: fc.oneof(fc.constant(op.method), fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH")),
  });
}

type FuzzRequest = {
  path: string;
  query: [string, string][];
  body: string | Buffer;
  contentType: string | undefined;
  auth: string | undefined;
  method: string;
};

/** One fuzzed request; a 5xx, a thrown error or a 4xx without problem+json fails the run. */
async function send(r: FuzzRequest) {
  const query = new URLSearchParams(r.query).toString();
  const headers: Record<string, string> = {};
  if (r.auth) headers.authorization = r.auth;
  if (r.contentType) headers["content-type"] = r.contentType;
  const { method } = r;
  const init: RequestInit = {
    method,
    headers,
    ...(method === "GET" || method === "HEAD"
      ? {}
      : { body: typeof r.body === "string" ? r.body : new Uint8Array(r.body) }),
  };
  const res = await server.app.request(`${r.path}${query ? `?${query}` : ""}`, init);
  const payload = await res.text();
  tally.cases++;
  tally.byStatus.set(res.status, (tally.byStatus.get(res.status) ?? 0) + 1);
  if (res.status >= 500)
    throw new Error(`${method} ${r.path}?${query} → ${res.status}: ${payload.slice(0, 300)}`);
  if (res.status >= 400) {
    expect(res.headers.get("content-type") ?? "").toContain("application/problem+json");
    expect(ProblemSchema.safeParse(JSON.parse(payload)).success).toBe(true);
  }
}

describe("fuzzing every operation of /openapi.json", () => {
  it("finds the operations", () => {
    expect(operations.length).toBeGreaterThan(15);
  });

  it("never answers 5xx, and every 4xx is problem+json", async () => {
    const runsPerOperation = Math.ceil(12_000 / operations.length);
    // Readiness is probed throughout: the fuzz load must never make it 503.
    const ready: Record<number, number> = {};
    let fuzzing = true;
    const probing = (async () => {
      while (fuzzing) {
        const res = await server.app.request("/ready");
        const body = await res.text();
        ready[res.status] = (ready[res.status] ?? 0) + 1;
        if (res.status !== 200) console.info(`/ready ${res.status} during the fuzz: ${body.slice(0, 1_000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    try {
      for (const op of operations) {
        await fc.assert(fc.asyncProperty(requestArb(op), send), {
          numRuns: runsPerOperation,
          seed: 20_261_122,
        });
      }
    } finally {
      fuzzing = false;
      await probing;
    }
    console.info(`/ready during the fuzz: ${JSON.stringify(ready)}`);
    expect(tally.cases).toBeGreaterThanOrEqual(12_000);
    expect(Object.keys(ready)).toEqual(["200"]);
  }, 600_000);
});
