import { createServer, type Server, type Socket } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { embeddedDataDir } from "../support/databases";

/**
 * PGlite (real Postgres + pgvector) for several server processes at once. PGlite has one backend,
 * so connections are multiplexed the way a transaction pooler does it: a connection holds the
 * backend from its first message until Postgres answers ReadyForQuery outside a transaction.
 * pglite-socket's own server interleaves messages of concurrent extended-protocol queries, which
 * mixes up their unnamed portals; the dev PostgreSQL has no pgvector, which `rapfs start` needs.
 */
export type SharedPglite = { url: string; db: PGlite; stop(): Promise<void> };

type Waiter = { session: object; resolve: () => void };

class Backend {
  private owner: object | null = null;
  private readonly waiters: Waiter[] = [];

  async acquire(session: object): Promise<void> {
    if (this.owner === null) this.owner = session;
    if (this.owner === session) return;
    await new Promise<void>((resolve) => this.waiters.push({ session, resolve }));
  }

  /** Hands the backend straight to the next waiter, so nobody can cut in between. */
  release(session: object): void {
    if (this.owner !== session) return;
    const next = this.waiters.shift();
    this.owner = next?.session ?? null;
    next?.resolve();
  }

  holds(session: object): boolean {
    return this.owner === session;
  }
}

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;

export async function startSharedPglite(): Promise<SharedPglite> {
  const db = await PGlite.create({
    loadDataDir: await embeddedDataDir({ migrate: false }),
    extensions: { vector },
  });
  const backend = new Backend();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    serve(db, backend, socket).finally(() => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    db,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}

async function serve(db: PGlite, backend: Backend, socket: Socket): Promise<void> {
  const session = {};
  let buffer = Buffer.alloc(0);
  let started = false;
  let closed = false;
  let wake: (() => void) | undefined;
  socket.setNoDelay(true);
  socket.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    wake?.();
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    closed = true;
    wake?.();
  });
  const next = async (): Promise<Buffer | null> => {
    for (;;) {
      const length = !started
        ? buffer.length >= 4
          ? buffer.readInt32BE(0)
          : -1
        : buffer.length >= 5
          ? 1 + buffer.readInt32BE(1)
          : -1;
      if (length > 0 && buffer.length >= length) {
        const message = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        return message;
      }
      if (closed) return null;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  };
  try {
    for (let message = await next(); message; message = await next()) {
      if (!started) {
        const code = message.readInt32BE(4);
        if (code === SSL_REQUEST) {
          socket.write("N");
          continue;
        }
        if (code === CANCEL_REQUEST) break;
        started = true;
      } else if (message[0] === 0x58 /* Terminate */) break;
      await backend.acquire(session);
      const reply = await db.execProtocolRaw(message);
      if (!closed) socket.write(reply);
      if (idleAfter(reply)) backend.release(session);
    }
  } finally {
    if (backend.holds(session)) {
      if (db.isInTransaction()) await db.exec("rollback").catch(() => {});
      backend.release(session);
    }
    socket.destroy();
  }
}

/** The reply ends in ReadyForQuery with status I: the connection no longer needs the backend. */
function idleAfter(reply: Uint8Array): boolean {
  const n = reply.length;
  return n >= 6 && reply[n - 6] === 0x5a && reply[n - 2] === 5 && reply[n - 1] === 0x49;
}
