import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LineWriter } from "../../src/log/line-writer";

const logger = fileURLToPath(new URL("../../src/log/logger.ts", import.meta.url));
const LINES = 2_000;

// 2 MB of log lines, far past a pipe's 64 KiB, then a timer: its line on stdout says the event
// loop went on while nobody read stderr.
const script = `
import { createLogger } from ${JSON.stringify(logger)};
const log = createLogger("info");
const filler = "x".repeat(1_000);
for (let i = 0; i < ${LINES}; i++) log.info("filler", { i, filler });
setTimeout(() => process.stdout.write("alive\\n"), 10);
`;

describe("log lines", () => {
  it("never hold the event loop while the log's reader reads nothing, and all arrive in order once it reads", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      // stderr is not read until the child said it is alive: its pipe stays full meanwhile.
      const alive = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 20_000);
        child.stdout.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("alive")) {
            clearTimeout(timer);
            resolve(true);
          }
        });
      });
      expect(alive).toBe(true);
      let text = "";
      child.stderr.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
      });
      expect(await exited).toBe(0);
      const numbers = text
        .trim()
        .split("\n")
        .map((line) => (JSON.parse(line) as { i: number }).i);
      expect(numbers).toEqual(Array.from({ length: LINES }, (_, i) => i));
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("drop what a reader that stays behind cannot take, and say how many once it catches up", () => {
    const sent: string[] = [];
    let finish: (() => void) | undefined;
    const writer = new LineWriter(-1, {
      maxPendingBytes: 100,
      send: (chunk, done) => {
        sent.push(chunk.toString());
        finish = () => done(null, chunk.length);
      },
    });
    writer.line("first"); // in flight: the reader is stuck on it
    for (let i = 0; i < 20; i++) writer.line(`line ${i.toString().padStart(3, "0")}`);
    expect(writer.waitingBytes).toBeLessThanOrEqual(100 + "first\n".length);
    finish?.();
    expect(sent).toHaveLength(2);
    const lines = (sent[1] as string).trim().split("\n");
    const kept = lines.filter((line) => !line.startsWith("{"));
    const dropped = lines.filter((line) => line.startsWith("{"));
    expect(kept).toEqual(Array.from({ length: 11 }, (_, i) => `line ${i.toString().padStart(3, "0")}`));
    expect(dropped.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: "warn", dropped: 9 }),
    ]);
  });

  it("write what is left synchronously at exit, the part of a line in flight included", () => {
    const synced: string[] = [];
    let sends = 0;
    const writer = new LineWriter(-1, {
      // A partial write, then the reader stalls.
      send: (_chunk, done) => {
        if (sends++ === 0) done(null, 3);
      },
      sendSync: (chunk) => synced.push(chunk.toString()),
    });
    writer.line("never"); // 'nev' written, 'er\n' in flight
    writer.line("stop");
    expect(synced).toEqual([]);
    writer.flushSync();
    expect(synced.join("")).toBe("er\nstop\n");
  });
});
