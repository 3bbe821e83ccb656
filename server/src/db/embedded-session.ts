import type { Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import { nextTurn } from "../values/turns";
import { type BackendHoldTimes, threadCpuMs } from "./backend-holds";
import type { Session, SharedBackend } from "./shared-backend";
import {
  type FrontendMessage,
  FrontendReader,
  fatalResponse,
  ProtocolViolation,
  protocolViolationResponse,
  ReplyTracker,
  statementOf,
} from "./wire-protocol";

// A reply is sent by the time this much of it has built up.
const FLUSH_BYTES = 1 << 20;
/**
 * How long an interactive connection whose next query is already here keeps the backend for it.
 * Its pool pipelines every request's statements (a lookup reads each view of a service in one),
 * and handing the backend to a waiting bulk slice after each made a five-view lookup wait out five
 * slices; bulk work waits this much longer at most.
 */
const INTERACTIVE_RUN_MS = 20;
const BULK_APPLICATION_NAME = "rapfs-bulk";

export type SessionContext = {
  db: PGlite;
  backend: SharedBackend;
  holds: BackendHoldTimes;
  /** [0]: when the running message started (0 when idle); [1]: when the last one finished. */
  activity: Float64Array;
  /**
   * How long a connection may hold the backend idle inside a transaction before it is rolled back
   * and closed, as PostgreSQL's idle_in_transaction_session_timeout does: here one such
   * connection would stall every other one.
   */
  idleInTransactionMs: number;
};

/** The default of SessionContext.idleInTransactionMs. */
export const IDLE_IN_TRANSACTION_MS = 60_000;

/**
 * One client connection, until it ends. Replies are sent as PostgreSQL sends them: held until
 * the connection has no complete message left to run (or a MiB has built up), so the answers to a
 * pipelined batch leave in one write. A reply split over writes meets Nagle's algorithm at a proxy
 * or pooler between here and the client, and each extended-protocol round trip waits out a 40 ms
 * delayed ACK: with twenty connections queued that was seconds per request.
 */
export async function serveConnection(socket: Socket, context: SessionContext) {
  const { db, backend, holds, activity } = context;
  const session: Session = { work: "interactive" };
  const reader = new FrontendReader();
  const reply = new ReplyTracker();
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  let heldSince = 0;
  let cpuSince = 0;
  let statement = "";
  let closed = false;
  let cut = false;
  let wake: (() => void) | undefined;

  const queue = (chunk: Buffer) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= FLUSH_BYTES) flush();
  };
  // PGlite hands out a view of its own memory, reused for the next chunk: copied before it waits.
  const sendFromBackend = (data: Uint8Array) => {
    if (data.length === 0) return;
    reply.push(data);
    queue(Buffer.from(data));
  };
  const flush = () => {
    if (pendingBytes > 0 && !closed) {
      socket.write(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes));
    }
    pending.length = 0;
    pendingBytes = 0;
  };
  // Ends the connection with PostgreSQL's own error once it has held the backend idle in a
  // transaction too long; the finally below rolls the transaction back and hands the backend on.
  // Work the backend runs for the holder outside its socket (a COPY from a blob: the corpus load)
  // is the holder's too: only a backend quiet for the whole limit counts as idle.
  let timer: NodeJS.Timeout | undefined;
  const cutWhenIdleInTransaction = (afterMs = context.idleInTransactionMs) => {
    if (!backend.holds(session) || !db.isInTransaction()) return;
    timer = setTimeout(() => {
      const quietFor = activity[0] !== 0 ? 0 : Date.now() - (activity[1] ?? 0);
      if (quietFor < context.idleInTransactionMs) {
        cutWhenIdleInTransaction(context.idleInTransactionMs - quietFor);
        return;
      }
      queue(fatalResponse("25P03", idleInTransactionMessage(context.idleInTransactionMs)));
      cut = true;
      wake?.();
    }, afterMs);
  };
  const next = async (): Promise<FrontendMessage | undefined> => {
    for (;;) {
      const message = reader.next();
      if (message) return message;
      flush();
      if (closed || cut) return undefined;
      cutWhenIdleInTransaction();
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      clearTimeout(timer);
      wake = undefined;
    }
  };

  socket.setNoDelay(true);
  socket.on("data", (chunk: Buffer) => {
    reader.push(chunk);
    wake?.();
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    closed = true;
    wake?.();
  });

  try {
    for (let message = await next(); message; message = await next()) {
      if (message.kind === "encryption-request") {
        queue(Buffer.from("N"));
        continue;
      }
      if (message.kind === "cancel-request" || message.kind === "terminate") break;
      if (
        message.kind === "startup" &&
        message.parameters.get("application_name") === BULK_APPLICATION_NAME
      ) {
        session.work = "bulk";
      }
      const turn = backend.acquire(session);
      if (turn) {
        flush();
        const waitedSince = performance.now();
        await turn;
        holds.recordWait(session.work, performance.now() - waitedSince);
      }
      if (heldSince === 0) {
        heldSince = performance.now();
        cpuSince = threadCpuMs();
      }
      statement = (message.kind === "message" && statementOf(message.bytes)) || statement;
      activity[0] = Date.now();
      // Streamed: a COPY of a whole dataset is not held in memory before it is sent.
      await db.runExclusive(() => db.execProtocolRawStream(message.bytes, { onRawData: sendFromBackend }));
      activity[0] = 0;
      activity[1] = Date.now();
      if (reply.endsIdle) {
        if (
          session.work === "interactive" &&
          reader.hasMessage &&
          performance.now() - heldSince < INTERACTIVE_RUN_MS
        )
          continue;
        holds.record(session.work, performance.now() - heldSince, statement, threadCpuMs() - cpuSince);
        heldSince = 0;
        backend.release(session);
        await yieldToOtherConnections();
      }
    }
  } catch (error) {
    if (!(error instanceof ProtocolViolation)) throw error;
    queue(protocolViolationResponse(error.message));
  } finally {
    flush();
    if (backend.holds(session)) {
      if (db.isInTransaction()) await db.exec("rollback").catch(() => {});
      backend.release(session);
    }
    // After the bytes still queued, such as a protocol violation's ErrorResponse, are written.
    socket.end(() => socket.destroy());
  }
}

const idleInTransactionMessage = (ms: number) =>
  `terminating connection due to idle-in-transaction timeout: it held the embedded database's one backend ` +
  `idle in a transaction for ${ms / 1000} s, and every other connection waits on that backend`;

/**
 * Lets other connections' bytes, which arrived while PGlite held this thread, ask for the backend
 * before this connection's next buffered query takes it again: the first turn ends this poll
 * phase, the next poll phase reads the sockets.
 */
async function yieldToOtherConnections(): Promise<void> {
  await nextTurn();
  await nextTurn();
}
