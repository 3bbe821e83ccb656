import { connect, type Socket } from "node:net";
import { cpuSeconds, type LoadOptions, type LoadResult, percentile } from "./measure";

export type PacedOptions = LoadOptions & {
  /** Requests per second offered over all connections, whatever the server answers. */
  rate: number;
};

/** The request's bytes, built once: the generator does no per-request work beyond writing them. */
function requestBytes(options: PacedOptions): Buffer {
  const url = new URL(options.url);
  const body = options.body ?? "";
  const headers = {
    host: url.host,
    connection: "keep-alive",
    ...options.headers,
    ...(options.body === undefined
      ? {}
      : { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }),
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return Buffer.from(
    `${options.method ?? "GET"} ${url.pathname}${url.search} HTTP/1.1\r\n${lines.join("")}\r\n${body}`,
  );
}

const HEADER_END = Buffer.from("\r\n\r\n");

/**
 * One keep-alive connection answering one request at a time: resolves each response's status once
 * its Content-Length bytes are in (the server sends no chunked bodies on these routes).
 */
class Connection {
  private readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: ((status: number) => void) | undefined;

  constructor(url: URL) {
    this.socket = connect(Number(url.port), url.hostname);
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => this.received(chunk));
    this.socket.on("error", () => this.waiting?.(0));
  }

  send(bytes: Buffer): Promise<number> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const end = this.buffered.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buffered.subarray(0, end).toString("latin1");
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) throw new Error(`paced load: a response without Content-Length:\n${head}`);
    const total = end + HEADER_END.length + Number(length[1]);
    if (this.buffered.length < total) return;
    this.buffered = this.buffered.subarray(total);
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.(Number(head.slice(9, 12)));
  }
}

/**
 * Open-loop load: each connection is due to send at a fixed interval (phases staggered), whatever
 * the answers, as clients of a service do. A request due while its connection still waits for the
 * previous answer goes right after it, and its latency counts from when it was due: the waiting is
 * the server's, and leaving it out would hide exactly the stalls p99 is for (coordinated omission).
 */
export async function paced(options: PacedOptions): Promise<LoadResult> {
  const bytes = requestBytes(options);
  const url = new URL(options.url);
  const interval = (1000 * options.connections) / options.rate;
  const latencies: number[] = [];
  let failures = 0;
  let late = 0;
  const cpuBefore = cpuSeconds(options.pid);
  const started = performance.now();
  const until = started + options.seconds * 1000;

  const drive = async (index: number) => {
    const connection = new Connection(url);
    let due = started + (interval * index) / options.connections;
    try {
      while (due < until) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        // Due while the previous answer was still awaited: counted from when it was due. Otherwise
        // from the timer's firing, whose own lateness is the generator's, not the server's.
        const from = wait > 0 ? performance.now() : due;
        if (from - due > 1) late++;
        const status = await connection.send(bytes);
        const latency = performance.now() - from;
        if (status >= 200 && status < 300) latencies.push(latency);
        else failures++;
        due += interval;
      }
    } finally {
      connection.close();
    }
  };
  await Promise.all(Array.from({ length: options.connections }, (_, i) => drive(i)));
  const sorted = latencies.sort((a, b) => a - b);
  const cpu = cpuSeconds(options.pid) - cpuBefore;
  return {
    rps: latencies.length / options.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    requests: latencies.length + failures,
    failures,
    cpuUs: (cpu * 1e6) / Math.max(1, latencies.length),
    late,
  };
}
