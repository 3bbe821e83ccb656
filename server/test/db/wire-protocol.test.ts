import { describe, expect, it } from "vitest";
import {
  type FrontendMessage,
  FrontendReader,
  MAX_STARTUP_LENGTH,
  ProtocolViolation,
  protocolViolationResponse,
  ReplyTracker,
  startupParameters,
  statementOf,
} from "../../src/db/wire-protocol";

// Messages as a client sends them, byte for byte.
const int32 = (n: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(n);
  return bytes;
};
const packet = (code: number, body = Buffer.alloc(0)) =>
  Buffer.concat([int32(8 + body.length), int32(code), body]);
const startup = (parameters: Record<string, string>) =>
  packet(
    196608,
    Buffer.from(
      `${Object.entries(parameters)
        .flatMap((pair) => pair.map((part) => `${part}\0`))
        .join("")}\0`,
    ),
  );
const sslRequest = () => packet(80877103);
const message = (type: string, body: Buffer | string = Buffer.alloc(0)) => {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  return Buffer.concat([Buffer.from(type), int32(4 + bytes.length), bytes]);
};
const query = (sql: string) => message("Q", `${sql}\0`);
const parse = (name: string, sql: string) =>
  message("P", Buffer.concat([Buffer.from(`${name}\0${sql}\0`), int32(0)]));
const terminate = () => message("X");

function readAll(reader: FrontendReader): FrontendMessage[] {
  const messages: FrontendMessage[] = [];
  for (let next = reader.next(); next; next = reader.next()) messages.push(next);
  return messages;
}

/** A reader past startup, the bytes of its startup packet already read. */
function startedReader(): FrontendReader {
  const reader = new FrontendReader();
  reader.push(startup({ user: "postgres" }));
  expect(reader.next()?.kind).toBe("startup");
  return reader;
}

describe("FrontendReader: whole client messages from the bytes as they arrive", () => {
  it("answers an SSLRequest, then reads the startup packet that follows it with its parameters", () => {
    const reader = new FrontendReader();
    reader.push(Buffer.concat([sslRequest(), startup({ user: "postgres", application_name: "rapfs-bulk" })]));
    const [ssl, start] = readAll(reader);
    expect(ssl).toEqual({ kind: "encryption-request" });
    expect(start?.kind).toBe("startup");
    if (start?.kind !== "startup") return;
    expect(Object.fromEntries(start.parameters)).toEqual({
      user: "postgres",
      application_name: "rapfs-bulk",
    });
    expect(start.bytes).toEqual(startup({ user: "postgres", application_name: "rapfs-bulk" }));
  });

  it("treats a GSSENCRequest as an SSLRequest and a CancelRequest as its own kind", () => {
    const reader = new FrontendReader();
    reader.push(packet(80877104));
    expect(reader.next()).toEqual({ kind: "encryption-request" });
    reader.push(packet(80877102, Buffer.concat([int32(42), int32(7)])));
    expect(reader.next()).toEqual({ kind: "cancel-request" });
  });

  it("waits for the rest of a message split across chunks, down to single bytes", () => {
    const reader = startedReader();
    const bytes = query("select 1");
    for (const byte of bytes.subarray(0, -1)) {
      reader.push(Buffer.from([byte]));
      expect(reader.next()).toBeUndefined();
    }
    reader.push(bytes.subarray(-1));
    expect(reader.next()).toEqual({ kind: "message", type: 0x51, bytes });
  });

  it("reads several messages out of one chunk, and keeps a partial one for the next", () => {
    const reader = startedReader();
    const batch = [parse("", "select $1::int"), message("B", "\0\0\0\0\0\0\0\0\0\0"), message("S")];
    const partial = query("select 2");
    reader.push(Buffer.concat([...batch, partial.subarray(0, 7)]));
    expect(readAll(reader).map((m) => (m.kind === "message" ? m.bytes : m))).toEqual(batch);
    reader.push(partial.subarray(7));
    expect(reader.next()).toEqual({ kind: "message", type: 0x51, bytes: partial });
  });

  it("reads a startup packet that arrives in pieces", () => {
    const reader = new FrontendReader();
    const bytes = startup({ user: "postgres", database: "postgres" });
    reader.push(bytes.subarray(0, 3));
    expect(reader.next()).toBeUndefined();
    reader.push(bytes.subarray(3, 10));
    expect(reader.next()).toBeUndefined();
    reader.push(bytes.subarray(10));
    expect(reader.next()?.kind).toBe("startup");
  });

  it("reads Terminate as the end of the conversation", () => {
    const reader = startedReader();
    reader.push(Buffer.concat([query("select 1"), terminate()]));
    expect(readAll(reader).map((m) => m.kind)).toEqual(["message", "terminate"]);
  });

  it("refuses a startup packet that is too short, too long, or of another protocol", () => {
    for (const bytes of [
      int32(4),
      int32(-1),
      int32(MAX_STARTUP_LENGTH + 1),
      packet(0x0002_0000),
      Buffer.from("GET / HTTP/1.1\r\n"),
    ]) {
      const reader = new FrontendReader();
      reader.push(bytes);
      expect(() => reader.next()).toThrow(ProtocolViolation);
    }
  });

  it("refuses a message length below its own four bytes or above PostgreSQL's limit, without waiting", () => {
    for (const length of [0, 3, -1, 0x4000_0000]) {
      const reader = startedReader();
      reader.push(Buffer.concat([Buffer.from("Q"), int32(length)]));
      expect(() => reader.next()).toThrow(ProtocolViolation);
    }
  });

  it("keeps a message with a NUL inside its query string whole: the length frames it, not the NUL", () => {
    const reader = startedReader();
    const bytes = query("select 1\0; drop table tracks");
    reader.push(Buffer.concat([bytes, terminate()]));
    expect(readAll(reader)).toEqual([{ kind: "message", type: 0x51, bytes }, { kind: "terminate" }]);
  });
});

describe("startupParameters", () => {
  it("reads the pairs up to the terminating NUL", () => {
    expect(startupParameters(startup({ user: "u", options: "" }))).toEqual(
      new Map([
        ["user", "u"],
        ["options", ""],
      ]),
    );
    expect(startupParameters(packet(196608))).toEqual(new Map());
  });
});

describe("statementOf: the SQL a message carries, for the long-hold log", () => {
  it("reads a Query's and a named or unnamed Parse's SQL, and nothing of other messages", () => {
    expect(statementOf(query("select 1"))).toBe("select 1");
    expect(statementOf(parse("", "select $1"))).toBe("select $1");
    expect(statementOf(parse("s1", "select $1"))).toBe("select $1");
    expect(statementOf(message("S"))).toBeUndefined();
    expect(statementOf(message("B", "\0\0"))).toBeUndefined();
  });

  it("ends the string at its first NUL, as PostgreSQL reads it", () => {
    expect(statementOf(query("select 1\0select 2"))).toBe("select 1");
  });

  it("keeps the first characters, not bytes, of a long statement", () => {
    const sql = `select '${"é".repeat(500)}'`;
    expect(statementOf(query(sql), 200)).toBe(sql.slice(0, 200));
    expect(statementOf(query(sql), 10)).toBe("select 'éé");
  });

  it("reads a Parse with no end to its name as no statement", () => {
    expect(statementOf(message("P", "no-terminator"))).toBeUndefined();
  });
});

// Replies as the backend sends them.
const readyForQuery = (status: "I" | "T" | "E") => message("Z", status);
const dataRow = (value: Buffer) =>
  message("D", Buffer.concat([Buffer.from([0, 1]), int32(value.length), value]));

describe("ReplyTracker: whether the backend's reply leaves it idle", () => {
  const track = (...chunks: Buffer[]) => {
    const tracker = new ReplyTracker();
    for (const chunk of chunks) tracker.push(chunk);
    return tracker.endsIdle;
  };

  it("is idle after ReadyForQuery I, not T or E, and not before the status byte", () => {
    const reply = Buffer.concat([message("C", "SELECT 1\0"), readyForQuery("I")]);
    expect(track(reply)).toBe(true);
    expect(track(Buffer.concat([message("C", "BEGIN\0"), readyForQuery("T")]))).toBe(false);
    expect(track(readyForQuery("E"))).toBe(false);
    expect(track(reply.subarray(0, -1))).toBe(false);
    expect(track(message("1"))).toBe(false);
  });

  it("follows messages split anywhere across chunks", () => {
    const reply = Buffer.concat([message("1"), dataRow(Buffer.from("abc")), readyForQuery("I")]);
    for (let cut = 1; cut < reply.length; cut++) {
      expect(track(reply.subarray(0, cut), reply.subarray(cut))).toBe(true);
    }
    expect(track(...Array.from(reply, (byte) => Buffer.from([byte])))).toBe(true);
  });

  it("is not fooled by a row whose last bytes look like ReadyForQuery I", () => {
    expect(track(dataRow(readyForQuery("I")))).toBe(false);
  });

  it("is no longer idle once another message begins", () => {
    expect(track(readyForQuery("I"), Buffer.from("D"))).toBe(false);
  });
});

describe("protocolViolationResponse", () => {
  it("is a framed FATAL ErrorResponse with SQLSTATE 08P01 and the message", () => {
    const reply = protocolViolationResponse("invalid message length: 3");
    expect(reply[0]).toBe(0x45);
    expect(reply.readInt32BE(1)).toBe(reply.length - 1);
    expect(reply.subarray(5).toString().split("\0")).toEqual([
      "SFATAL",
      "VFATAL",
      "C08P01",
      "Minvalid message length: 3",
      "",
      "",
    ]);
  });
});
