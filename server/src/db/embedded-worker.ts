// PGlite runs here, in a worker thread of its own: a statement runs to its end inside WebAssembly
// and blocks its thread (PostgreSQL's statement_timeout has no timer to fire in PGlite), so on
// the main thread a 40 s query stopped every request, lookups served from Redis included.
import { createServer, type Socket } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { BackendHoldTimes } from "./backend-holds";
import type { EmbeddedWorkerData, OpenMessage, WorkerMessage, WorkerRequest } from "./embedded-channel";
import { IDLE_IN_TRANSACTION_MS, type SessionContext, serveConnection } from "./embedded-session";
import { pgliteWasmModule } from "./pglite-module";
import { SharedBackend } from "./shared-backend";

if (!parentPort) throw new Error("embedded-worker runs only as a worker thread (see embedded.ts)");
const port = parentPort;
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

/**
 * PGlite's own start parameters, and WAL at its least: nothing replicates or archives this
 * database, so a table built in the transaction that creates it (a materialization's staging
 * table) is written once instead of also to WAL: a 300,000-row build took 0.7 s against 1.0 s.
 */
const START_PARAMS = [...PGlite.defaultStartParams, "-c", "wal_level=minimal", "-c", "max_wal_senders=0"];

async function main({
  dataDir,
  port: listenPort,
  load,
  activityBuffer,
  idleInTransactionMs,
  wasmModule,
}: EmbeddedWorkerData) {
  const db = await PGlite.create({
    pgliteWasmModule: wasmModule,
    startParams: START_PARAMS,
    ...(dataDir ? { dataDir } : {}),
    ...(load ? { loadDataDir: new Blob([load]) } : {}),
    extensions: { vector },
  });
  const context: SessionContext = {
    db,
    backend: new SharedBackend(),
    holds: new BackendHoldTimes((hold) => post({ type: "long-hold", ...hold })),
    activity: new Float64Array(activityBuffer),
    idleInTransactionMs: idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS,
  };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    serveConnection(socket, context).finally(() => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, "127.0.0.1", resolve);
  });

  const answer = async (request: WorkerRequest): Promise<WorkerMessage> => {
    switch (request.type) {
      case "dump": {
        const buffer = await (await db.dumpDataDir("none")).arrayBuffer();
        return { id: request.id, buffer };
      }
      case "stop":
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await db.close();
        return { id: request.id };
      case "copy":
        // COPY FROM a blob, which the wire protocol through this socket cannot carry: run on the
        // one backend, inside the transaction the asking connection holds it with.
        if (!context.backend.held || !db.isInTransaction()) {
          throw new Error("copy runs only inside a transaction open on an embedded connection");
        }
        context.activity[0] = Date.now();
        try {
          await db.query(request.statement, [], { blob: new Blob([request.data]) });
        } finally {
          context.activity[0] = 0;
          context.activity[1] = Date.now();
        }
        return { id: request.id };
      case "stats":
        return {
          id: request.id,
          waiting: context.backend.waiting,
          connections: sockets.size,
          holds: context.holds.take(request.reset),
        };
    }
  };
  port.on("message", async (request: WorkerRequest) => {
    try {
      const reply = await answer(request);
      post(reply, "buffer" in reply ? [reply.buffer] : []);
    } catch (error) {
      post({ id: request.id, error: (error as Error).message });
    }
  });

  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the socket has no TCP port");
  post({ type: "ready", port: address.port });
}

/**
 * A thread started ahead of its data (prestartEmbeddedWorker) compiles PGlite while the main
 * thread loads the server, then opens the database when the first message says where.
 */
async function opened(): Promise<void> {
  if (workerData) return main(workerData as EmbeddedWorkerData);
  const compiling = pgliteWasmModule().catch(() => undefined);
  const data = await new Promise<EmbeddedWorkerData>((resolve) =>
    port.once("message", ({ data }: OpenMessage) => resolve(data)),
  );
  await main({ ...data, wasmModule: data.wasmModule ?? (await compiling) });
}

opened().catch((error: Error) => post({ type: "failed", error: error.message }));
