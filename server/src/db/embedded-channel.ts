/** What the embedded database's worker thread and the thread that started it say to each other. */

export type HoldStats = {
  count: number;
  total_ms: number;
  max_ms: number;
  over_100ms: number;
  over_250ms: number;
  /** Turns that had to wait for another connection's hold, and how long they waited. */
  waits: number;
  wait_ms: number;
  wait_max_ms: number;
};
export type BackendHolds = { interactive: HoldStats; bulk: HoldStats };
export type WorkClass = "interactive" | "bulk";
/**
 * A connection whose hold of the backend cost it over 100 ms of work (`cpuMs`, the backend
 * thread's CPU time; `ms` is the wall time from taking it to giving it back).
 */
export type LongHold = { work: WorkClass; ms: number; cpuMs: number; statement: string };

export type EmbeddedWorkerData = {
  /** PGlite's data directory; undefined for an in-memory database. */
  dataDir: string | undefined;
  port: number;
  /** A data directory tarball to start from (`dumpDataDir`). */
  load: ArrayBuffer | undefined;
  /**
   * Two Float64 slots the worker writes and the starting thread reads without a message:
   * [0] when the running message started (0 when idle), [1] when the last one finished.
   */
  activityBuffer: SharedArrayBuffer;
  /** SessionContext.idleInTransactionMs; its default when left out. */
  idleInTransactionMs?: number;
  /**
   * PGlite's compiled WebAssembly (pglite-module.ts), shared by the process's databases; a
   * prestarted thread compiles its own while it waits, and PGlite compiles it where neither did.
   */
  wasmModule?: WebAssembly.Module | undefined;
};

/** The first message to a thread started ahead of its data (prestartEmbeddedWorker). */
export type OpenMessage = { type: "open"; data: EmbeddedWorkerData };

export type WorkerRequest = { id: number } & (
  | { type: "dump" }
  | { type: "stop" }
  /** COPY FROM a blob, inside the transaction an embedded connection has open. */
  | { type: "copy"; statement: string; data: ArrayBuffer }
  | { type: "stats"; reset: boolean }
);

export type WorkerReply =
  | { id: number; error: string }
  | { id: number; buffer: ArrayBuffer }
  | { id: number; holds: BackendHolds; waiting: number; connections: number }
  | { id: number };

/** Posted unasked: the worker is listening, failed to start, or saw a long hold. */
export type WorkerEvent =
  | { type: "ready"; port: number }
  | { type: "failed"; error: string }
  | ({ type: "long-hold" } & LongHold);

export type WorkerMessage = WorkerReply | WorkerEvent;
