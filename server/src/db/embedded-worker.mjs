// PGlite runs here, in a worker thread of its own: a statement runs to its end inside WebAssembly
// and blocks its thread (PostgreSQL's statement_timeout has no timer to fire in PGlite), so on
// the main thread a 40 s query stopped every request, lookups served from Redis included.
// Plain JavaScript, so that any runtime (tsx, vitest, node) can start it as it is.
import { createServer } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const TERMINATE = 0x58;
// How many times a waiting connection can be passed over by a better class before it goes next.
const MAX_PASSED = 3;
// A reply is sent by the time this much of it has built up.
const FLUSH_BYTES = 1 << 20;

/**
 * PGlite has one backend, so connections share it as a transaction pooler would: a connection
 * holds the backend from its first message until PostgreSQL answers ReadyForQuery outside a
 * transaction. Waiting connections are served by work class, then in arrival order: a bulk
 * connection (application_name rapfs-bulk) waits while other classes wait, up to MAX_PASSED
 * handoffs.
 */
class Backend {
  owner = null;
  waiters = [];

  acquire(session) {
    if (this.owner === null) this.owner = session;
    if (this.owner === session) return undefined;
    return new Promise((resolve) => this.waiters.push({ session, resolve, passed: 0 }));
  }

  release(session) {
    if (this.owner !== session) return;
    const next = this.nextWaiter();
    this.owner = next?.session ?? null;
    next?.resolve();
  }

  /**
   * The waiter of the best class, first come first served within it; but one passed over
   * MAX_PASSED times goes next, so a steady stream of interactive work (a server pool of ten
   * connections) cannot starve a download.
   */
  nextWaiter() {
    if (this.waiters.length === 0) return undefined;
    let best = this.waiters.findIndex((w) => w.passed >= MAX_PASSED);
    if (best < 0) {
      best = 0;
      for (let i = 1; i < this.waiters.length; i++) {
        if (this.waiters[i].session.priority < this.waiters[best].session.priority) best = i;
      }
    }
    const [next] = this.waiters.splice(best, 1);
    for (const waiter of this.waiters) waiter.passed++;
    return next;
  }

  holds(session) {
    return this.owner === session;
  }

  get waiting() {
    return this.waiters.length;
  }
}

/**
 * How long connections held the backend, per work class, from taking it to giving it back: what
 * every other connection may have waited behind. Bulk work is sliced to keep its holds short.
 */
class Holds {
  classes = [this.empty(), this.empty()];

  empty() {
    return { count: 0, total_ms: 0, max_ms: 0, over_100ms: 0, over_250ms: 0 };
  }

  /** `statement`: the hold's last statement (its first 200 characters), posted for a long hold. */
  record(priority, ms, statement) {
    const c = this.classes[priority];
    c.count++;
    c.total_ms += ms;
    c.max_ms = Math.max(c.max_ms, ms);
    if (ms > 100) c.over_100ms++;
    if (ms > 250) c.over_250ms++;
    if (ms > 100) {
      parentPort.postMessage({
        type: "long-hold",
        work: priority === 1 ? "bulk" : "interactive",
        ms,
        statement,
      });
    }
  }

  take(reset) {
    const [interactive, bulk] = this.classes;
    if (reset) this.classes = [this.empty(), this.empty()];
    return { interactive, bulk };
  }
}

/** The SQL of a Query or Parse message (its first 200 characters), or undefined. */
function statementOf(message) {
  const type = message[0];
  if (type === 0x51) return message.subarray(5, 205).toString("utf8").replace(/\0.*$/s, "");
  if (type !== 0x50) return undefined;
  const nameEnd = message.indexOf(0, 5);
  return message
    .subarray(nameEnd + 1, nameEnd + 201)
    .toString("utf8")
    .replace(/\0.*$/s, "");
}

/** application_name from a StartupMessage: "rapfs-bulk" waits behind every other class. */
function priorityOf(startup) {
  const parts = startup.subarray(8).toString("utf8").split("\0");
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i] === "application_name") return parts[i + 1] === "rapfs-bulk" ? 1 : 0;
  }
  return 0;
}

/** The reply ends in ReadyForQuery with status I: the connection no longer needs the backend. */
function idleAfter(tail) {
  const n = tail.length;
  return n >= 6 && tail[n - 6] === 0x5a && tail[n - 2] === 5 && tail[n - 1] === 0x49;
}

/**
 * One client connection. Replies are sent as PostgreSQL sends them: held until the connection has
 * no complete message left to run (or a MiB has built up), so the answers to a pipelined batch
 * leave in one write. A reply split over writes meets Nagle's algorithm at a proxy or pooler
 * between here and the client, and each extended-protocol round trip waits out a 40 ms delayed
 * ACK: with twenty connections queued that was seconds per request.
 */
function serve(db, backend, socket, activity, holds) {
  const session = { priority: 0 };
  let heldSince = 0;
  let statement = "";
  let buffer = Buffer.alloc(0);
  let started = false;
  let closed = false;
  let wake;
  const pending = [];
  let pendingBytes = 0;
  let tail = Buffer.alloc(0);
  const send = (data) => {
    if (data.length === 0) return;
    const chunk = Buffer.from(data);
    pending.push(chunk);
    pendingBytes += chunk.length;
    tail = chunk.length >= 6 ? chunk.subarray(-6) : Buffer.concat([tail, chunk]).subarray(-6);
    if (pendingBytes >= FLUSH_BYTES) flush();
  };
  const flush = () => {
    if (pendingBytes > 0 && !closed) socket.write(pending.length === 1 ? pending[0] : Buffer.concat(pending));
    pending.length = 0;
    pendingBytes = 0;
  };
  socket.setNoDelay(true);
  socket.on("data", (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    wake?.();
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    closed = true;
    wake?.();
  });
  const complete = () => {
    const header = started ? 5 : 4;
    if (buffer.length < header) return -1;
    const length = started ? 1 + buffer.readInt32BE(1) : buffer.readInt32BE(0);
    return length > 0 && buffer.length >= length ? length : -1;
  };
  const next = async () => {
    for (;;) {
      const length = complete();
      if (length > 0) {
        const message = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        return message;
      }
      flush();
      if (closed) return null;
      await new Promise((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  };
  return (async () => {
    try {
      for (let message = await next(); message; message = await next()) {
        if (!started) {
          const code = message.readInt32BE(4);
          if (code === SSL_REQUEST) {
            send(Buffer.from("N"));
            continue;
          }
          if (code === CANCEL_REQUEST) break;
          if (code === PROTOCOL_3) session.priority = priorityOf(message);
          started = true;
        } else if (message[0] === TERMINATE) break;
        const turn = backend.acquire(session);
        if (turn) {
          flush();
          await turn;
        }
        if (heldSince === 0) heldSince = performance.now();
        const text = statementOf(message);
        if (text) statement = text;
        activity[0] = Date.now();
        // Streamed: a COPY of a whole dataset is not held in memory before it is sent.
        await db.runExclusive(() => db.execProtocolRawStream(message, { onRawData: send }));
        activity[0] = 0;
        activity[1] = Date.now();
        if (idleAfter(tail)) {
          holds.record(session.priority, performance.now() - heldSince, statement);
          heldSince = 0;
          backend.release(session);
          // Let other connections' bytes, which arrived while PGlite held this thread, ask for
          // the backend before this connection's next buffered query takes it again: the first
          // turn ends this poll phase, the next poll phase reads the sockets.
          await new Promise((resolve) => setImmediate(resolve));
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      flush();
      if (backend.holds(session)) {
        if (db.isInTransaction()) await db.exec("rollback").catch(() => {});
        backend.release(session);
      }
      socket.destroy();
    }
  })();
}

async function main() {
  const { dataDir, port, load, activityBuffer } = workerData;
  // [0]: when the running message started (0 when idle); [1]: when the last one finished.
  const activity = new Float64Array(activityBuffer);
  const db = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(load ? { loadDataDir: new Blob([load]) } : {}),
    extensions: { vector },
  });
  const backend = new Backend();
  const holds = new Holds();
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    serve(db, backend, socket, activity, holds).finally(() => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  parentPort.on("message", async (request) => {
    try {
      if (request.type === "dump") {
        const buffer = await (await db.dumpDataDir("none")).arrayBuffer();
        parentPort.postMessage({ id: request.id, buffer }, [buffer]);
      } else if (request.type === "stop") {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(() => resolve()));
        await db.close();
        parentPort.postMessage({ id: request.id });
      } else if (request.type === "copy") {
        // COPY FROM a blob, which the wire protocol through this socket cannot carry: run on the
        // one backend, inside the transaction the asking connection holds it with.
        if (backend.owner === null || !db.isInTransaction()) {
          throw new Error("copy runs only inside a transaction open on an embedded connection");
        }
        await db.query(request.statement, [], { blob: new Blob([request.data]) });
        parentPort.postMessage({ id: request.id });
      } else if (request.type === "stats") {
        parentPort.postMessage({
          id: request.id,
          waiting: backend.waiting,
          connections: sockets.size,
          holds: holds.take(request.reset === true),
        });
      }
    } catch (error) {
      parentPort.postMessage({ id: request.id, error: error.message });
    }
  });
  parentPort.postMessage({ type: "ready", port: server.address().port });
}

main().catch((error) => parentPort.postMessage({ type: "failed", error: error.message }));
