import { spawn } from "node:child_process";
import { once } from "node:events";

// A process of its own, so the machine schedules it like a server process (not beside the load
// generator's event loop): Node answering a finished response from memory, nothing else.
const FLOOR_SERVER = `
const body = Buffer.from('{"status":"ok"}');
const server = require("node:http").createServer((_, res) =>
  res.writeHead(200, { "content-type": "application/json" }).end(body));
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
`;

/**
 * The machine's floor as a server: timed beside a server's probes, under the same load, it says
 * what the machine alone does to a request's latency. It exits when its parent does.
 */
export async function startFloorProcess(): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["-e", FLOOR_SERVER], { stdio: ["pipe", "pipe", "inherit"] });
  const [line] = (await Promise.race([
    once(child.stdout, "data"),
    once(child, "exit").then(() => {
      throw new Error("the floor process exited before listening");
    }),
  ])) as [Buffer];
  const port = Number(line.toString().trim());
  return {
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.stdin.end();
      await exited;
    },
  };
}
