import { describe, expect, it } from "vitest";
import { terminalProgress, timeLeft } from "../../src/log/progress";

describe("progress lines say how long is left", () => {
  it("estimates from the rate so far, in seconds, then minutes", () => {
    expect(timeLeft(25, 100, 10_000)).toBe(", about 30 s left");
    expect(timeLeft(10, 100, 60_000)).toBe(", about 9 min left");
  });

  it("says nothing before there is a rate or after the end", () => {
    expect(timeLeft(0, 100, 5_000)).toBe("");
    expect(timeLeft(100, 100, 5_000)).toBe("");
  });

  it("writes a line per tenth off a terminal, with the time left", () => {
    const written: string[] = [];
    const stream = {
      isTTY: false,
      write: (line: string) => written.push(line),
    } as unknown as NodeJS.WriteStream;
    const report = terminalProgress(stream);
    report({ phase: "generating corpus", done: 0, total: 10 });
    report({ phase: "generating corpus", done: 5, total: 10 });
    report({ phase: "generating corpus", done: 10, total: 10 });
    expect(written[0]).toBe("generating corpus: 0/10 (0%)\n");
    expect(written[1]).toMatch(/^generating corpus: 5\/10 \(50%, about \d+ s left\)\n$/);
    expect(written[2]).toBe("generating corpus: 10/10 (100%)\n");
  });

  it("names the unit counted when it is not the phase's items (an ingested file's bytes)", () => {
    const written: string[] = [];
    const stream = {
      isTTY: false,
      write: (line: string) => written.push(line),
    } as unknown as NodeJS.WriteStream;
    terminalProgress(stream)({ phase: "checking a.ndjson", done: 349, total: 349, unit: "bytes" });
    expect(written).toEqual(["checking a.ndjson: 349/349 bytes (100%)\n"]);
  });
});
