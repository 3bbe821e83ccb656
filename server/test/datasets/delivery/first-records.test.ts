import { describe, expect, it } from "vitest";
import { firstRecords } from "../../../src/datasets/delivery/first-records";

const stream = (chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(Buffer.from(chunk, "utf8"));
      controller.close();
    },
  });

const read = async (body: ReadableStream<Uint8Array>) =>
  Buffer.from(await new Response(body).arrayBuffer()).toString();

describe("firstRecords", () => {
  it("cuts CSV after the header and n records, across chunks, past line breaks and quotes inside quoted fields", async () => {
    const csv = ["id,lyr", 'ics\r\n1,"a\r\nb ""q', '"" c"\r\n2,plain\r', '\n3,"x,y"\r\n'];
    expect(await read(firstRecords(stream(csv), "csv", 1))).toBe('id,lyrics\r\n1,"a\r\nb ""q"" c"\r\n');
    expect(await read(firstRecords(stream(csv), "csv", 2))).toBe(
      'id,lyrics\r\n1,"a\r\nb ""q"" c"\r\n2,plain\r\n',
    );
    expect(await read(firstRecords(stream(csv), "csv", 9))).toBe(csv.join(""));
  });

  it("cuts NDJSON after n lines and stops reading what follows", async () => {
    let pulled = 0;
    const lines = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(Buffer.from(`{"n":${pulled}}\n{"n":${pulled}.5}\n`));
      },
    });
    expect(await read(firstRecords(lines, "json", 3))).toBe('{"n":1}\n{"n":1.5}\n{"n":2}\n');
    expect(pulled).toBeLessThan(5);
  });
});
