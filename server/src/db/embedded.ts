import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { IN_MEMORY } from "../config/paths";
import { lockDataDir } from "./data-dir-lock";

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

export type HoldStats = {
  count: number;
  total_ms: number;
  max_ms: number;
  over_100ms: number;
  over_250ms: number;
};
export type BackendHolds = { interactive: HoldStats; bulk: HoldStats };
/** A connection that held the backend over 100 ms: what every other waited behind. */
export type LongHold = { work: "interactive" | "bulk"; ms: number; statement: string };

type Reply = {
  id?: number;
  type?: string;
  port?: number;
  buffer?: ArrayBuffer;
  error?: string;
  holds?: BackendHolds;
};

/**
 * Runs PostgreSQL in-process (PGlite + pgvector) in a worker thread behind a loopback socket, so
 * the rest of rapfs reaches it with the same postgres.js code as a real server, and a long
 * statement never stops this thread. Connections share PGlite's one backend by work class
 * (see embedded-worker.mjs).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port = 0,
  from?: Blob,
  onLongHold?: (hold: LongHold) => void,
): Promise<EmbeddedPostgres> {
  const inMemory = dataDir === IN_MEMORY;
  const unlock = inMemory ? () => {} : lockDataDir(dataDir);
  const activityBuffer = new SharedArrayBuffer(16);
  const activity = new Float64Array(activityBuffer);
  const load = from ? await from.arrayBuffer() : undefined;
  const worker = new Worker(new URL("./embedded-worker.mjs", import.meta.url), {
    workerData: { dataDir: inMemory ? undefined : join(dataDir, "pgdata"), port, load, activityBuffer },
    ...(load ? { transferList: [load] } : {}),
  });
  const pending = new Map<number, (reply: Reply) => void>();
  let nextId = 1;
  let exited: Error | undefined;
  const request = (type: string, body: Record<string, unknown> = {}, transfer: ArrayBuffer[] = []) =>
    new Promise<Reply>((resolve, reject) => {
      if (exited) return reject(exited);
      const id = nextId++;
      pending.set(id, (reply) => (reply.error ? reject(new Error(reply.error)) : resolve(reply)));
      worker.postMessage({ ...body, type, id }, transfer);
    });
  try {
    const boundPort = await new Promise<number>((resolve, reject) => {
      worker.on("message", (reply: Reply) => {
        if (reply.type === "ready") resolve(reply.port as number);
        else if (reply.type === "long-hold") onLongHold?.(reply as unknown as LongHold);
        else if (reply.type === "failed") reject(new Error(reply.error));
        else if (reply.id !== undefined) {
          pending.get(reply.id)?.(reply);
          pending.delete(reply.id);
        }
      });
      worker.once("error", reject);
      worker.once("exit", (code) => {
        exited = new Error(`the embedded database stopped (worker exit ${code})`);
        reject(exited);
        for (const settle of pending.values()) settle({ error: exited.message });
        pending.clear();
      });
    });
    let stopping: Promise<void> | undefined;
    return {
      url: `postgres://postgres@127.0.0.1:${boundPort}/postgres`,
      dump: async () => new Blob([(await request("dump")).buffer as ArrayBuffer]),
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
      holds: async (options = {}) =>
        (await request("stats", { reset: options.reset === true })).holds as BackendHolds,
      stop() {
        stopping ??= (async () => {
          await request("stop").catch(() => {});
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
