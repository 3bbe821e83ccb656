/**
 * The parts of PostgreSQL's wire protocol (version 3) the embedded pooler reads itself: where a
 * client's messages begin and end, what a startup packet asks for, the SQL a message carries, and
 * whether the backend's reply left it idle. Everything else passes to PGlite as bytes.
 */

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_MAJOR_3 = 3;
const TERMINATE = 0x58; // X
const QUERY = 0x51; // Q
const PARSE = 0x50; // P
const READY_FOR_QUERY = 0x5a; // Z
const IDLE = 0x49; // I

// PostgreSQL's own limits: a startup packet over 10,000 bytes is refused (MAX_STARTUP_PACKET_LENGTH),
// and no message can exceed what the server can allocate (PQ_LARGE_MESSAGE_LIMIT).
export const MAX_STARTUP_LENGTH = 10_000;
export const MAX_MESSAGE_LENGTH = 0x3fff_ffff;

export type FrontendMessage =
  /** SSLRequest or GSSENCRequest: the answer is a single "N", and the client goes on unencrypted. */
  | { kind: "encryption-request" }
  | { kind: "cancel-request" }
  | { kind: "startup"; bytes: Buffer; parameters: Map<string, string> }
  | { kind: "terminate" }
  /** Any other message after startup, whole: its type byte, length and body. */
  | { kind: "message"; type: number; bytes: Buffer };

export class ProtocolViolation extends Error {
  override name = "ProtocolViolation";
}

/**
 * Splits the bytes a client sends into whole messages, however they arrive: one message over
 * several chunks, or several in one. Before startup a packet is a length and a body; after it,
 * a type byte, a length and a body.
 */
export class FrontendReader {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** Whether a whole message is buffered: what `next` would return without waiting. */
  get hasMessage(): boolean {
    const length = this.started ? this.messageLength() : this.startupLength();
    return length !== undefined && this.buffer.length >= length;
  }

  /** The next whole message, or undefined until more bytes arrive. Throws ProtocolViolation. */
  next(): FrontendMessage | undefined {
    const length = this.started ? this.messageLength() : this.startupLength();
    if (length === undefined || this.buffer.length < length) return undefined;
    const bytes = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return this.started ? regularMessage(bytes) : this.startupMessage(bytes);
  }

  private startupLength(): number | undefined {
    if (this.buffer.length < 4) return undefined;
    const length = this.buffer.readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP_LENGTH) {
      throw new ProtocolViolation(`invalid length of startup packet: ${length}`);
    }
    return length;
  }

  private messageLength(): number | undefined {
    if (this.buffer.length < 5) return undefined;
    const length = this.buffer.readInt32BE(1);
    if (length < 4 || length > MAX_MESSAGE_LENGTH) {
      throw new ProtocolViolation(`invalid message length: ${length}`);
    }
    return 1 + length;
  }

  private startupMessage(bytes: Buffer): FrontendMessage {
    const code = bytes.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) return { kind: "encryption-request" };
    if (code === CANCEL_REQUEST) return { kind: "cancel-request" };
    if (code >>> 16 !== PROTOCOL_MAJOR_3) {
      throw new ProtocolViolation(`unsupported frontend protocol ${code >>> 16}.${code & 0xffff}`);
    }
    this.started = true;
    return { kind: "startup", bytes, parameters: startupParameters(bytes) };
  }
}

function regularMessage(bytes: Buffer): FrontendMessage {
  const type = bytes[0] as number;
  return type === TERMINATE ? { kind: "terminate" } : { kind: "message", type, bytes };
}

/** A StartupMessage's name/value pairs (user, database, application_name, …). */
export function startupParameters(startup: Buffer): Map<string, string> {
  const parts = startup.subarray(8).toString("utf8").split("\0");
  const parameters = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length && parts[i] !== ""; i += 2) {
    parameters.set(parts[i] as string, parts[i + 1] as string);
  }
  return parameters;
}

/**
 * The SQL of a Query or Parse message, its first `limit` characters, or undefined for any other
 * message. The protocol ends the string at its first NUL.
 */
export function statementOf(message: Buffer, limit = 200): string | undefined {
  const type = message[0];
  let start = 5;
  if (type === PARSE) {
    const nameEnd = message.indexOf(0, start);
    if (nameEnd < 0) return undefined;
    start = nameEnd + 1;
  } else if (type !== QUERY) {
    return undefined;
  }
  // A character is at most four bytes: never decode a whole multi-megabyte statement for a label.
  const window = message.subarray(start, start + limit * 4);
  const end = window.indexOf(0);
  const text = window.subarray(0, end < 0 ? window.length : end).toString("utf8");
  return Array.from(text).slice(0, limit).join("");
}

/**
 * Follows the backend's messages through its reply, split over chunks anywhere, to tell whether
 * the reply so far ends in ReadyForQuery with status idle: no transaction open, so the connection
 * no longer needs the backend.
 */
export class ReplyTracker {
  private readonly header = Buffer.alloc(5);
  private headerFilled = 0;
  private bodyLeft = 0;
  private type = 0;
  private idle = false;

  /** Whether the bytes seen so far end with a ReadyForQuery saying idle. */
  get endsIdle(): boolean {
    return this.idle;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft > 0) {
        if (this.type === READY_FOR_QUERY && this.bodyLeft === 1) this.idle = chunk[at] === IDLE;
        const take = Math.min(this.bodyLeft, chunk.length - at);
        this.bodyLeft -= take;
        at += take;
        continue;
      }
      this.idle = false;
      const take = Math.min(5 - this.headerFilled, chunk.length - at);
      this.header.set(chunk.subarray(at, at + take), this.headerFilled);
      this.headerFilled += take;
      at += take;
      if (this.headerFilled === 5) {
        this.headerFilled = 0;
        this.type = this.header[0] as number;
        this.bodyLeft = Math.max(0, this.header.readInt32BE(1) - 4);
      }
    }
  }
}

/** A FATAL ErrorResponse with SQLSTATE 08P01 (protocol_violation), sent before closing. */
export function protocolViolationResponse(message: string): Buffer {
  return fatalResponse("08P01", message);
}

/** A FATAL ErrorResponse with its SQLSTATE, after which the server closes the connection. */
export function fatalResponse(sqlState: string, message: string): Buffer {
  const fields = ["SFATAL", "VFATAL", `C${sqlState}`, `M${message}`].map((field) => `${field}\0`).join("");
  const body = Buffer.from(`${fields}\0`, "utf8");
  const reply = Buffer.alloc(5 + body.length);
  reply[0] = 0x45; // E
  reply.writeInt32BE(4 + body.length, 1);
  body.copy(reply, 5);
  return reply;
}
