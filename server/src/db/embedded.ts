import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { IN_MEMORY } from "../config/paths";
import { embeddedUrl, lockDataDir, publishPort } from "./data-dir-lock";
import type {
  BackendHolds,
  EmbeddedWorkerData,
  LongHold,
  OpenMessage,
  WorkerMessage,
  WorkerReply,
  WorkerRequest,
} from "./embedded-channel";
import { pgliteWasmModule } from "./pglite-module";
import { takePrestartedWorker } from "./prestarted-worker";
import { needsRecovery, type ShutdownState, shutdownState } from "./shutdown-state";
import { startTypeScriptWorker } from "./typescript-worker";

export type { BackendHolds, HoldStats, LongHold } from "./embedded-channel";
export { IN_MEMORY };

export type EmbeddedPostgres = {
  url: string;
  /** The whole data directory as a tarball, which `from` takes back (a test fixture, a copy). */
  dump(): Promise<Blob>;
  /**
   * Whether the database is working right now: a message started under `withinMs` ago is still
   * running, or one finished that recently. A long statement is an answering database, busy.
   */
  busy(withinMs: number): boolean;
  /**
   * Runs `COPY … FROM '/dev/blob'` with `data` as the file, inside the transaction a connection
   * of this database has open (PGlite's socket cannot carry COPY FROM STDIN).
   */
  copyFromBlob(statement: string, data: Uint8Array): Promise<void>;
  /** How long connections held the one backend, per work class, since the last reset. */
  holds(options?: { reset?: boolean }): Promise<BackendHolds>;
  stop(): Promise<void>;
};

type RequestBody<T extends WorkerRequest["type"]> = Omit<Extract<WorkerRequest, { type: T }>, "id" | "type">;

/**
 * Runs PostgreSQL in-process (PGlite + pgvector) in a worker thread behind a loopback socket, so
 * the rest of rapfs reaches it with the same postgres.js code as a real server, and a long
 * statement never stops this thread. Connections share PGlite's one backend by work class
 * (see embedded-worker.ts).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port = 0,
  from?: Blob,
  onLongHold?: (hold: LongHold) => void,
  options: {
    idleInTransactionMs?: number;
    /** Told when the data directory was not shut down cleanly: PostgreSQL recovers it as it opens. */
    onRecovery?: (state: ShutdownState) => void;
  } = {},
): Promise<EmbeddedPostgres> {
  const { onRecovery, ...limits } = options;
  const inMemory = dataDir === IN_MEMORY;
  const unlock = inMemory ? () => {} : lockDataDir(dataDir);
  const state = inMemory ? undefined : shutdownState(join(dataDir, "pgdata"));
  if (state && needsRecovery(state)) onRecovery?.(state);
  const activityBuffer = new SharedArrayBuffer(16);
  const activity = new Float64Array(activityBuffer);
  const load = from ? await from.arrayBuffer() : undefined;
  const workerData: EmbeddedWorkerData = {
    dataDir: inMemory ? undefined : join(dataDir, "pgdata"),
    port,
    load,
    activityBuffer,
    ...limits,
  };
  const worker = await openWorker(workerData).catch((error: unknown) => {
    unlock();
    throw error;
  });
  const pending = new Map<number, (reply: WorkerReply) => void>();
  let nextId = 1;
  let exited: Error | undefined;
  const request = <T extends WorkerRequest["type"]>(
    type: T,
    body: RequestBody<T>,
    transfer: ArrayBuffer[] = [],
  ): Promise<WorkerReply> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(exited);
      const id = nextId++;
      pending.set(id, (reply) => ("error" in reply ? reject(new Error(reply.error)) : resolve(reply)));
      worker.postMessage({ ...body, type, id }, transfer);
    });
  try {
    const boundPort = await new Promise<number>((resolve, reject) => {
      worker.on("message", (message: WorkerMessage) => {
        if (!("type" in message)) {
          pending.get(message.id)?.(message);
          pending.delete(message.id);
        } else if (message.type === "ready") resolve(message.port);
        else if (message.type === "long-hold") {
          const { type: _, ...hold } = message;
          onLongHold?.(hold);
        } else reject(new Error(message.error));
      });
      worker.once("error", reject);
      worker.once("exit", (code) => {
        exited = new Error(`the embedded database stopped (worker exit ${code})`);
        reject(exited);
        for (const [id, settle] of pending) settle({ id, error: exited.message });
        pending.clear();
      });
    });
    if (!inMemory) publishPort(dataDir, boundPort);
    let stopping: Promise<void> | undefined;
    return {
      url: embeddedUrl(boundPort),
      async dump() {
        const reply = await request("dump", {});
        if (!("buffer" in reply)) throw new Error("the embedded database sent no data directory");
        return new Blob([reply.buffer]);
      },
      busy(withinMs) {
        if (exited) return false;
        const now = Date.now();
        const [running = 0, finished = 0] = activity;
        return (running > 0 && now - running < withinMs) || now - finished < withinMs;
      },
      async copyFromBlob(statement, data) {
        const copy = data.slice();
        await request("copy", { statement, data: copy.buffer }, [copy.buffer as ArrayBuffer]);
      },
      async holds(options = {}) {
        const reply = await request("stats", { reset: options.reset === true });
        if (!("holds" in reply)) throw new Error("the embedded database sent no hold times");
        return reply.holds;
      },
      stop() {
        stopping ??= (async () => {
          await request("stop", {}).catch(() => {});
          await worker.terminate();
          unlock();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await worker.terminate();
    unlock();
    throw error;
  }
}

const WORKER_ENTRY = new URL("./embedded-worker.ts", import.meta.url);

/** The thread `rapfs start` prestarted (taken once), told its data; else a new one. */
async function openWorker(workerData: EmbeddedWorkerData): Promise<Worker> {
  const transferList = workerData.load ? [workerData.load] : [];
  const prestarted = takePrestartedWorker();
  if (!prestarted) {
    const wasmModule = await pgliteWasmModule();
    return startTypeScriptWorker(WORKER_ENTRY, { workerData: { ...workerData, wasmModule }, transferList });
  }
  prestarted.ref();
  const open: OpenMessage = { type: "open", data: workerData };
  prestarted.postMessage(open, transferList);
  return prestarted;
}

/** Whether the data directory holds an embedded database (initdb ran there). */
export function holdsDatabase(dataDir: string): boolean {
  return existsSync(join(dataDir, "pgdata", "PG_VERSION"));
}
