import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HealthSchema } from "../../src/api/routes/health";
import type { Config } from "../../src/config/env";
import { noProgress } from "../../src/log/progress";
import { type RunningServer, type StartServerOptions, startServer } from "../../src/runtime/start-server";
import { outcome, slowConnection, sockets } from "../support/connections";
import { embeddedDataDir } from "../support/databases";
import { capturingLogger, testConfig } from "./harness";

let running: RunningServer | undefined;

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await running?.shutdown("test done");
  running = undefined;
});

/**
 * A server on an in-memory database copied from one built once (initdb, and the migrations unless
 * `migrated` is false), as each test would otherwise spend seconds building its own.
 */
const start = (
  prepare?: StartServerOptions["prepare"],
  connections?: Config["connections"],
  migrated = true,
) => {
  const { logger, lines } = capturingLogger();
  const config = { ...testConfig(), host: "127.0.0.1", port: 0, ...(connections ? { connections } : {}) };
  return {
    lines,
    server: embeddedDataDir({ migrate: migrated }).then((loadDataDir) =>
      startServer({ config, logger, handleSignals: false, progress: noProgress, prepare, loadDataDir }),
    ),
  };
};

describe("startServer", () => {
  it("migrates the embedded database, serves over HTTP and reports readiness after data preparation", async () => {
    const { server, lines } = start(async () => ({}), undefined, false);
    running = await server;
    expect(running.port).toBeGreaterThan(0);
    const res = await fetch(`${running.url}/health`);
    expect(res.status).toBe(200);
    expect(HealthSchema.parse(await res.json()).status).toBe("ok");
    expect(res.headers.get("x-request-id")).toBeTruthy();

    await running.prepared;
    const ready = await fetch(`${running.url}/ready`);
    expect(ready.status).toBe(200);
    const [tables] = await running.services.sql`select to_regclass('tracks') is not null as present`;
    expect(tables?.present).toBe(true);
    expect(lines.some((l) => l.msg === "listening" && l.url === running?.url)).toBe(true);
  });

  it("caps the connections one address holds open; another address is still answered", async () => {
    const { server, lines } = start(async () => ({}), { perAddress: 4, total: 0 });
    running = await server;
    // Four connections dribbling headers take this address's share; the fifth is closed unanswered.
    for (let i = 0; i < 4; i++) await slowConnection(running.port);
    expect(await outcome(running.port)).toBe("refused");
    expect(await outcome(running.port, "127.0.0.2")).toBe("answered");
    expect(lines.some((l) => l.msg === "connections refused at the cap" && l.cap === "per_address")).toBe(
      true,
    );
    sockets.shift()?.destroy();
    // The closed connection's place is freed on its 'close': a few attempts at most.
    let after = await outcome(running.port);
    for (let attempt = 0; attempt < 50 && after === "refused"; attempt++) after = await outcome(running.port);
    expect(after).toBe("answered");
  });

  it("answers what Node's HTTP parser refuses as a 400 problem, echoing nothing of it", async () => {
    const { server } = start(async () => ({}));
    running = await server;
    const nul = await rawExchange(running.port, "GET /v1/features/track/1\0 HTTP/1.1\r\nhost: x\r\n\r\n");
    const long = await rawExchange(
      running.port,
      `GET /v1/features/track/1?features=${"a".repeat(20_000)} HTTP/1.1\r\nhost: x\r\n\r\n`,
    );
    const header = await rawExchange(running.port, "GET /health HTTP/1.1\r\nhost: x\r\nx-bad: a\0b\r\n\r\n");
    for (const [response, detail] of [
      [nul, /not valid HTTP\/1\.1/],
      [long, /16 KiB/],
      [header, /not valid HTTP\/1\.1/],
    ] as const) {
      const [head = "", body = ""] = response.split("\r\n\r\n");
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      expect(head).toMatch(/content-type: application\/problem\+json/i);
      expect(head).toMatch(/x-content-type-options: nosniff/i);
      expect(JSON.parse(body)).toMatchObject({
        status: 400,
        code: "BAD_REQUEST",
        detail: expect.stringMatching(detail),
      });
      expect(body).not.toContain("aaaa");
    }
    // On a kept-alive connection too, after an answer: the refusal is the current request's.
    const second = await rawExchange(running.port, "GET /health\0 HTTP/1.1\r\nhost: x\r\n\r\n", {
      first: "GET /health HTTP/1.1\r\nhost: x\r\n\r\n",
    });
    expect(second).toMatch(/^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 400 [\s\S]*"code":"BAD_REQUEST"/);
    // The server is unharmed.
    expect((await fetch(`${running.url}/health`)).status).toBe(200);
  });

  it("is not ready while data preparation runs", async () => {
    let finish: () => void = () => {};
    const preparing = new Promise<void>((resolve) => {
      finish = resolve;
    });
    running = await start(async () => {
      await preparing;
      return {};
    }).server;
    const before = await fetch(`${running.url}/ready`);
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ code: "NOT_READY", detail: "Failing checks: bootstrap." });
    finish();
    await running.prepared;
    expect((await fetch(`${running.url}/ready`)).status).toBe(200);
  });

  it("on shutdown stops accepting connections but lets the request in flight finish", async () => {
    running = await start(async () => ({})).server;
    const server = running;
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    server.services.readiness.register({
      name: "slow",
      check: () =>
        new Promise<void>((resolve) => {
          release = resolve;
          entered();
        }),
    });
    const inFlight = fetch(`${server.url}/ready`);
    await inside;
    const stopping = server.shutdown("test");
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    release();
    const res = await inFlight;
    expect([200, 503]).toContain(res.status);
    await res.json();
    await stopping;
    running = undefined;
  });

  it("with the default data preparation, generates the corpus on first start and becomes ready", async () => {
    const { logger } = capturingLogger();
    const config = { ...testConfig(), host: "127.0.0.1", port: 0, corpus: { scale: 0.01, seed: 7 } };
    running = await startServer({
      config,
      logger,
      handleSignals: false,
      progress: noProgress,
      loadDataDir: await embeddedDataDir(),
    });
    await running.prepared;
    expect(running.services.readiness.names).toEqual(
      expect.arrayContaining(["database", "bootstrap", "definitions"]),
    );
    // Readiness asks nothing that grows with the data (it counted the corpus on every probe).
    expect(running.services.readiness.names).not.toContain("corpus");
    const [corpus] = await running.services.sql<{ n: number }[]>`select count(*)::int as n from tracks`;
    expect(corpus?.n).toBeGreaterThan(0);
    expect((await fetch(`${running.url}/ready`)).status).toBe(200);
  });

  it("retries data preparation that lost the database before serving, and becomes ready", async () => {
    let attempts = 0;
    const { server, lines } = start(async () => {
      attempts++;
      // What postgres.js throws when a loaded server (three processes starting at once) times out a connection.
      if (attempts === 1)
        throw Object.assign(new Error("write CONNECT_TIMEOUT 127.0.0.1:5432"), { code: "CONNECT_TIMEOUT" });
      return {};
    });
    running = await server;
    await running.prepared;
    expect(attempts).toBe(2);
    expect((await fetch(`${running.url}/ready`)).status).toBe(200);
    expect(lines.some((l) => l.msg === "data preparation lost the database; retrying")).toBe(true);
    expect(lines.some((l) => l.msg === "data preparation failed")).toBe(false);
  });

  it("shuts down when data preparation fails", async () => {
    const { server, lines } = start(async () => {
      throw new Error("corpus generator exploded");
    });
    running = await server;
    await expect(running.prepared).rejects.toThrow("corpus generator exploded");
    expect(lines.some((l) => l.msg === "data preparation failed")).toBe(true);
    expect(lines.some((l) => l.msg === "stopped")).toBe(true);
    process.exitCode = 0;
    running = undefined;
  });
});

/**
 * Sends raw bytes and reads the whole answer, to the connection's close; with `first`, a request
 * answered on the same connection before them (its answer's end: the JSON body's last brace).
 */
function rawExchange(port: number, request: string, options: { first?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let sent = options.first === undefined;
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      if (!sent && Buffer.concat(chunks).toString("latin1").endsWith("}")) {
        sent = true;
        socket.end(request, "latin1");
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    if (options.first === undefined) socket.end(request, "latin1");
    else socket.write(options.first, "latin1");
  });
}
