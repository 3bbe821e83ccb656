import { once } from "node:events";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { APIConnectionError, APITimeoutError, APIUserAbortError, RapFS, RateLimitError } from "@rapfs/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { unexpected } from "./support/mock-fetch";

type Seen = { path: string; headers: IncomingHttpHeaders; socket: Socket; request: IncomingMessage };

/**
 * The SDK against a real HTTP server on loopback, through its Node transport (node:http; the global
 * fetch where a test gives it): what the server receives, and timeouts, aborts, redirects and
 * Retry-After on real sockets rather than a mock fetch.
 */
let server: Server;
let baseURL: string;
let seen: Seen[] = [];
let answer: (seen: Seen, res: ServerResponse) => void;

const ok = (_seen: Seen, res: ServerResponse) => {
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const call = { path: req.url ?? "", headers: req.headers, socket: req.socket, request: req };
    seen.push(call);
    answer(call, res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  seen = [];
  answer = ok;
});

const client = (options: ConstructorParameters<typeof RapFS>[0] = {}) =>
  new RapFS({ apiKey: "rapfs_http", baseURL, maxRetries: 0, ...options });

describe("over HTTP", () => {
  it("sends the key, accept, user-agent and one request id, with per-call headers on top", async () => {
    const fs = client({ defaultHeaders: { "X-Team": "ranking", "user-agent": null } });
    await fs.features.get("track", 42, { service: "hit_predictor", headers: { "x-trace": "t1" } });
    await fs.features.get("track", 43, { service: "hit_predictor", requestId: "mine-1" });
    const [first, second] = seen;
    expect(first?.path).toBe("/v1/features/track/42?service=hit_predictor");
    expect(first?.headers).toMatchObject({
      authorization: "Bearer rapfs_http",
      accept: "application/json",
      "x-team": "ranking",
      "x-trace": "t1",
    });
    expect(first?.headers["user-agent"] ?? "").not.toMatch(/rapfs-sdk/);
    expect(first?.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(first?.headers["content-type"]).toBeUndefined();
    expect(second?.headers["x-request-id"]).toBe("mine-1");
    expect(second?.headers["x-trace"]).toBeUndefined();
  });

  it("refuses a bad header value before sending anything, and a bad default header at construction", async () => {
    const bad = "a\nb";
    await expect(client().get("/x", { headers: { "x-trace": bad } })).rejects.toThrow(TypeError);
    await expect(client().get("/x", { requestId: bad })).rejects.toThrow(TypeError);
    expect(() => client({ defaultHeaders: { "x-team": bad } })).toThrow(TypeError);
    expect(seen).toHaveLength(0);
  });

  it("times out an attempt whose headers do not come, and retries it on a new request", async () => {
    answer = (call, res) => {
      if (seen.length === 1) return; // never answers the first; its socket is closed by the abort
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ retry: call.headers["x-rapfs-retry-count"] }));
    };
    const fs = client({ timeout: 200, maxRetries: 1 });
    const slow = await fs.get("/slow", { maxRetries: 0 }).then(unexpected, (e: APITimeoutError) => e);
    expect(slow).toBeInstanceOf(APITimeoutError);
    expect(slow.message).toMatch(/timed out after 200 ms/);
    // The same request id on both attempts, the second one counted.
    seen = [];
    answer = (call, res) => {
      if (seen.length === 1) return;
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ retry: call.headers["x-rapfs-retry-count"] }));
    };
    await expect(fs.get("/slow")).resolves.toEqual({ retry: "1" });
    expect(seen.map((s) => s.headers["x-request-id"])).toEqual([
      seen[0]?.headers["x-request-id"],
      seen[0]?.headers["x-request-id"],
    ]);
  });

  it("aborts a request in flight when the caller's signal fires, and never retries it", async () => {
    const arrived = new Promise<void>((resolve) => {
      answer = () => resolve();
    });
    const controller = new AbortController();
    const pending = client({ maxRetries: 2 }).get("/hang", { signal: controller.signal });
    await arrived;
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(APIUserAbortError);
    expect(seen).toHaveLength(1);
  });

  it("waits for Retry-After before retrying a 429, and throws RateLimitError when retries run out", async () => {
    answer = (_call, res) => {
      if (seen.length === 1) {
        res
          .writeHead(429, { "content-type": "application/problem+json", "retry-after": "1" })
          .end(JSON.stringify({ status: 429, code: "RATE_LIMITED", title: "Too many" }));
      } else ok(_call, res);
    };
    const lines: string[] = [];
    const logger = { ...console, info: (line: string) => lines.push(line) };
    await expect(client({ maxRetries: 1, logLevel: "info", logger }).get("/limited")).resolves.toEqual({
      ok: true,
    });
    expect(lines).toEqual([
      expect.stringMatching(/answered 429; waiting 1 s as its Retry-After asks before retry 1 of 1$/),
    ]);
    expect(seen.map((s) => s.headers["x-rapfs-retry-count"])).toEqual([undefined, "1"]);

    seen = [];
    answer = (_call, res) => {
      res
        .writeHead(429, { "content-type": "application/problem+json", "retry-after": "3" })
        .end(JSON.stringify({ status: 429, code: "RATE_LIMITED", title: "Too many" }));
    };
    const refused = await client()
      .get("/limited")
      .then(unexpected, (e: RateLimitError) => e);
    expect(refused).toBeInstanceOf(RateLimitError);
    expect(refused.retryAfter).toBe(3);
  });

  it("goes through Node's own HTTP client, not the global fetch, unless given a fetch", async () => {
    const spy = vi.spyOn(globalThis, "fetch");
    try {
      await expect(client().features.get("track", 1, { service: "hit_predictor" })).resolves.toEqual({
        ok: true,
      });
      expect(spy).not.toHaveBeenCalled();
      const given = client({ fetch: (url, init) => fetch(url, init) });
      await expect(given.features.get("track", 1, { service: "hit_predictor" })).resolves.toEqual({
        ok: true,
      });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it("leaves the calls to fetch where an undici dispatcher of another kind is installed (a proxy, a mock)", async () => {
    const slot = Symbol.for("undici.globalDispatcher.1");
    const global = globalThis as Record<symbol, unknown>;
    const before = global[slot];
    class ProxyAgent {}
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async () => Response.json({ viaFetch: true }));
    try {
      global[slot] = new ProxyAgent();
      await expect(client().get("/x")).resolves.toEqual({ viaFetch: true });
      expect(spy).toHaveBeenCalledTimes(1);
      // An Agent of one's own with TLS options (what setGlobalDispatcher(new Agent({ connect })) leaves).
      class Agent {}
      global[slot] = Object.assign(new Agent(), {
        [Symbol("options")]: { connect: { ca: "…" }, interceptors: undefined },
      });
      await expect(client().get("/x")).resolves.toEqual({ viaFetch: true });
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      global[slot] = before;
      spy.mockRestore();
    }
    await expect(client().get("/x")).resolves.toEqual({ ok: true });
  });

  it("parses a body it read whole and still hands out the Response unread", async () => {
    answer = (_call, res) => {
      const body = JSON.stringify({ ok: true });
      res
        .writeHead(200, { "content-type": "application/json", "content-length": String(body.length) })
        .end(body);
    };
    const { data, response } = await client().get("/x").withResponse();
    expect(data).toEqual({ ok: true });
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ ok: true });
  });

  it("follows a redirect by fetch's rules: a 307 keeps its method and body, a 303 becomes a GET", async () => {
    let redirect = 307;
    answer = (call, res) => {
      if (call.path === "/v1/features/track/batch") {
        call.request.resume();
        res.writeHead(redirect, { location: "/moved" }).end();
        return;
      }
      let body = "";
      call.request.on("data", (chunk: Buffer) => {
        body += chunk;
      });
      call.request.on("end", () => {
        const length = call.headers["content-length"];
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ method: call.request.method, length, body: body ? JSON.parse(body) : null }));
      });
    };
    const sent = { ids: [1, "é"] };
    const length = String(Buffer.byteLength(JSON.stringify(sent)));
    const kept = await client().post("/v1/features/track/batch", { body: sent });
    expect(kept).toEqual({ method: "POST", length, body: sent });
    expect(seen.map((s) => s.path)).toEqual(["/v1/features/track/batch", "/moved"]);
    seen = [];
    redirect = 303;
    await expect(client().post("/v1/features/track/batch", { body: sent })).resolves.toMatchObject({
      method: "GET",
      body: null,
    });
    expect(seen.map((s) => s.path)).toEqual(["/v1/features/track/batch", "/moved"]);
  });

  it("times out a redirected request that never answers, without a caller's signal", async () => {
    answer = (call, res) => {
      if (call.path === "/v1/x") res.writeHead(307, { location: "/never" }).end();
    };
    const late = await client({ timeout: 300 })
      .get("/v1/x")
      .then(unexpected, (e: APITimeoutError) => e);
    expect(late).toBeInstanceOf(APITimeoutError);
  });

  it("fails a status HTTP does not have as a connection error, and decodes a gzip body", async () => {
    answer = (_call, res) => {
      res.writeHead(999, { "content-type": "application/json" }).end("{}");
    };
    await expect(client().get("/odd")).rejects.toBeInstanceOf(APIConnectionError);
    answer = (_call, res) => {
      const zipped = gzipSync(JSON.stringify({ zipped: true }));
      res
        .writeHead(200, {
          "content-type": "application/json",
          "content-encoding": "gzip",
          "content-length": String(zipped.length),
        })
        .end(zipped);
    };
    await expect(client({ defaultHeaders: { "accept-encoding": "gzip" } }).get("/z")).resolves.toEqual({
      zipped: true,
    });
  });

  it("fails a Location no URL can be made of, takes a status text a Response would not, and a 204 marked br", async () => {
    answer = (_call, res) => {
      res.writeHead(302, { location: "http://exa mple.com/" }).end();
    };
    await expect(client().get("/bad-location")).rejects.toBeInstanceOf(APIConnectionError);
    answer = (call) => {
      // Node's server will not write this status line; its client parser takes it.
      call.socket.end(
        "HTTP/1.1 200 O\u007fK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
      );
    };
    await expect(client().get("/odd-text")).resolves.toEqual({});
    // A global Response replaced by one that checks its status text only when read, as
    // @hono/node-server's is when a Hono app on Node shares the process.
    const RealResponse = globalThis.Response;
    class LazyResponse extends RealResponse {
      readonly #init: ResponseInit | undefined;
      constructor(body?: BodyInit | null, init?: ResponseInit) {
        super(body, { ...init, statusText: "" });
        this.#init = init;
      }
      override get bodyUsed(): boolean {
        new RealResponse(null, this.#init);
        return super.bodyUsed;
      }
      override text(): Promise<string> {
        new RealResponse(null, this.#init);
        return super.text();
      }
    }
    globalThis.Response = LazyResponse as typeof Response;
    try {
      await expect(client().get("/odd-text")).resolves.toEqual({});
    } finally {
      globalThis.Response = RealResponse;
    }
    answer = (_call, res) => {
      res.writeHead(204, { "content-encoding": "br" }).end();
    };
    await expect(client().get("/empty")).resolves.toBeUndefined();
  });

  it("never sends a POST again on its own when the server drops the connection after it", async () => {
    let posts = 0;
    answer = (call, res) => {
      if (call.request.method === "GET") return ok(call, res);
      call.request.resume();
      call.request.on("end", () => {
        posts++;
        setTimeout(() => call.socket.destroy(), 50);
      });
    };
    const fs = client();
    await fs.get("/warm"); // the POST goes out on this kept-alive socket
    await expect(fs.post("/v1/keys", { body: { name: "a" } })).rejects.toBeInstanceOf(APIConnectionError);
    expect(posts).toBe(1);
  });

  it("keeps a download's timeout the wait between bytes, for a small body too", async () => {
    answer = (_call, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "6" });
      let sent = 0;
      const timer = setInterval(() => {
        res.write("x");
        if (++sent === 6) {
          clearInterval(timer);
          res.end();
        }
      }, 150);
    };
    const response = await client({ timeout: 400 }).get("/dl", { stream: true }).asResponse();
    expect(await response.text()).toBe("xxxxxx");
  });

  it("streams a body larger than it buffers, chunk by chunk, and a caller's abort cuts it", async () => {
    const chunk = Buffer.alloc(256 * 1024, 120);
    let written = 0;
    answer = (_call, res) => {
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(8 * chunk.length),
      });
      const more = () => {
        while (written < 8) {
          written++;
          if (!res.write(chunk)) return void res.once("drain", more);
        }
        res.end();
      };
      more();
    };
    const whole = await client().get("/big", { stream: true }).asResponse();
    expect((await whole.arrayBuffer()).byteLength).toBe(8 * chunk.length);

    written = 0;
    answer = (_call, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(chunk); // then nothing more: the caller stops reading and aborts
    };
    const controller = new AbortController();
    const partial = await client().get("/big", { stream: true, signal: controller.signal }).asResponse();
    const reader = (partial.body as ReadableStream<Uint8Array>).getReader();
    expect((await reader.read()).value?.byteLength).toBeGreaterThan(0);
    controller.abort();
    await expect(reader.read()).rejects.toBeInstanceOf(APIUserAbortError);
  });

  it("keeps its connections alive like a bare fetch: 100 calls, 10 at a time, on a handful of sockets", async () => {
    const fs = client();
    const sockets = async (call: () => Promise<unknown>) => {
      seen = [];
      let left = 100;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (left-- > 0) await call();
        }),
      );
      return new Set(seen.map((s) => s.socket)).size;
    };
    // undici's pool lends a socket again a moment after its answer is read, so 10 in flight use
    // up to about 20 sockets (bare fetch too: 16-20 measured); a body left unread or a connection
    // per call would need up to 100.
    const sdk = await sockets(() => fs.features.get("track", 1, { service: "hit_predictor" }));
    const bare = await sockets(async () => (await fetch(`${baseURL}/v1/features/track/1`)).json());
    expect(sdk).toBeLessThanOrEqual(20);
    expect(bare).toBeLessThanOrEqual(20);
  }, 60_000);
});
