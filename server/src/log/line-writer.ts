import { write, writeSync } from "node:fs";

/** Most bytes of lines waiting for the log's reader; past it, lines are dropped and counted. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;
const RETRY_MS = 20;

type Send = (chunk: Buffer, done: (error: NodeJS.ErrnoException | null, written: number) => void) => void;

export type LineWriterOptions = {
  maxPendingBytes?: number;
  /** Writes a chunk off the event loop (fs.write: the thread pool); may write part of it. */
  send?: Send;
  /** Writes what is left when the process exits. */
  sendSync?: (chunk: Buffer) => void;
};

/**
 * Log lines onto a file descriptor without the event loop ever waiting for its reader: a line is
 * queued and written by the thread pool, one write at a time. process.stderr writes a pipe
 * synchronously on Linux, so once the reader fell 64 KiB behind (a busy parent process, a slow log
 * shipper) every request's line held the loop until it read: 10 ms writes inside 76 ms stalls of a
 * server under four free keys. A reader that stays behind costs lines, not the loop: past
 * `maxPendingBytes` they are dropped, and a line says how many once it catches up. What is still
 * queued when the process exits is written synchronously then (a fatal error's line included).
 */
export class LineWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  private inFlight: Buffer | undefined;
  private dropped = 0;
  private readonly maxPendingBytes: number;
  private readonly send: Send;
  private readonly sendSync: (chunk: Buffer) => void;

  constructor(fd: number, options: LineWriterOptions = {}) {
    this.maxPendingBytes = options.maxPendingBytes ?? MAX_PENDING_BYTES;
    this.send = options.send ?? ((chunk, done) => write(fd, chunk, 0, chunk.length, null, done));
    this.sendSync = options.sendSync ?? ((chunk) => writeAllSync(fd, chunk));
  }

  /** Bytes of lines not yet handed to the descriptor. */
  get waitingBytes(): number {
    return this.pendingBytes + (this.inFlight?.length ?? 0);
  }

  line(text: string): void {
    const bytes = Buffer.byteLength(text) + 1;
    if (this.pendingBytes + bytes > this.maxPendingBytes) {
      this.dropped++;
      return;
    }
    this.pending.push(text);
    this.pendingBytes += bytes;
    if (!this.inFlight) this.next();
  }

  /**
   * Everything still queued, written now, waiting for the reader: for the process's exit. The
   * chunk the thread pool was writing is written again, as it may not have begun (a fatal error's
   * line logged just before process.exit): at such an exit a line may appear twice, never lost.
   */
  flushSync(): void {
    const rest = [this.inFlight, this.take()].filter((b): b is Buffer => b !== undefined && b.length > 0);
    this.inFlight = undefined;
    for (const chunk of rest) {
      try {
        this.sendSync(chunk);
      } catch {
        return; // The reader is gone (EPIPE): nobody is left to read them.
      }
    }
  }

  private take(): Buffer | undefined {
    if (this.pending.length === 0 && this.dropped === 0) return undefined;
    const lines = this.pending;
    if (this.dropped > 0) lines.push(droppedLine(this.dropped));
    this.pending = [];
    this.pendingBytes = 0;
    this.dropped = 0;
    return Buffer.from(`${lines.join("\n")}\n`, "utf8");
  }

  private next(): void {
    this.inFlight ??= this.take();
    const chunk = this.inFlight;
    if (!chunk) return;
    this.send(chunk, (error, written) => {
      if (this.inFlight !== chunk) return; // flushed synchronously meanwhile
      if (error?.code === "EAGAIN") {
        setTimeout(() => this.next(), RETRY_MS).unref();
        return;
      }
      // Any other error: the reader is gone, and these lines with it.
      this.inFlight = !error && written < chunk.length ? chunk.subarray(written) : undefined;
      this.next();
    });
  }
}

function droppedLine(count: number): string {
  return JSON.stringify({
    time: new Date().toISOString(),
    level: "warn",
    msg: "log lines dropped: the log's reader fell behind",
    dropped: count,
  });
}

const EXIT_WAIT_MS = 5_000;

function writeAllSync(fd: number, chunk: Buffer): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = performance.now() + EXIT_WAIT_MS;
  for (let at = 0; at < chunk.length; ) {
    try {
      at += writeSync(fd, chunk, at);
    } catch (error) {
      // A non-blocking descriptor whose reader is behind: wait for it a while, as exit must.
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN" || performance.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, RETRY_MS);
    }
  }
}

let stderr: LineWriter | undefined;

/** The process's stderr as a LineWriter, flushed when the process exits. */
export function stderrLines(): LineWriter {
  if (!stderr) {
    const writer = new LineWriter(2);
    process.once("exit", () => writer.flushSync());
    stderr = writer;
  }
  return stderr;
}
