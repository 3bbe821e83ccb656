import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { readFile, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { unlinkMatching } from "../../src/online/redis-client";

const run = promisify(execFile);

export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix no other test run uses, so runs never see each other's rows. */
export const uniquePrefix = () => `rapfs-test-${randomBytes(5).toString("hex")}`;

/** Removes every key under a prefix from the shared Redis (or the one at `url`). */
export async function deletePrefix(prefix: string, url = SHARED_REDIS_URL): Promise<void> {
  const redis = new Redis(url);
  try {
    await unlinkMatching(redis, `${prefix}:*`);
  } finally {
    redis.disconnect();
  }
}

/** A loopback port nothing listens on (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * A redis-server of this test's own on a free port, without persistence, that the test may
 * kill and restart. The shared Redis on 6379 is never touched.
 */
export async function startPrivateRedis(options: { started?: boolean } = {}) {
  const port = await freePort();
  const pidFile = join(tmpdir(), `rapfs-test-redis-${port}.pid`);
  let pid: number | undefined;
  const start = async () => {
    await run("redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "yes",
      "--pidfile",
      pidFile,
      "--dir",
      tmpdir(),
    ]);
    pid = await waitFor(async () => Number((await readFile(pidFile, "utf8")).trim()) || undefined);
    await waitFor(async () =>
      (await run("redis-cli", ["-p", String(port), "ping"])).stdout.includes("PONG") ? true : undefined,
    );
  };
  /** SIGKILL: a crash, not a clean shutdown. */
  const kill = async () => {
    if (pid === undefined) return;
    process.kill(pid, "SIGKILL");
    const killed = pid;
    pid = undefined;
    await waitFor(async () => (isAlive(killed) ? undefined : true));
    await rm(pidFile, { force: true });
  };
  if (options.started !== false) await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, kill };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `probe` yields a value; bounded, so a broken setup fails instead of hanging. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  attempts = 200,
  delayMs = 25,
): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  throw new Error(`condition not reached after ${attempts} attempts: ${String(lastError ?? "")}`);
}

/** The commands naming `prefix` that Redis receives while `action` runs, from a MONITOR connection. */
/** What Redis runs, as MONITOR reports it: each command's arguments, the name first. */
export interface Monitor {
  /** `client` is the sending connection's address (CLIENT INFO's `addr`). */
  on(event: "monitor", listener: (time: string, args: string[], client: string) => void): void;
  disconnect(): void;
}

/**
 * A MONITOR connection on a plain socket. ioredis' own `monitor()` fails with "Command queue
 * state error" when a monitored line arrives in the same read as MONITOR's OK (it enters
 * monitoring mode a tick later), which a busy shared Redis makes likely.
 */
export async function openMonitor(redis: Redis): Promise<Monitor> {
  const { host = "127.0.0.1", port = 6379, username, password } = redis.options;
  const socket = connect({ host, port });
  const events = new EventEmitter();
  let buffered = "";
  let acknowledged = false;
  let pendingOks = password ? 2 : 1;
  const ready = new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("data", (chunk) => {
      buffered += chunk.toString("utf8");
      let end = buffered.indexOf("\r\n");
      while (end >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        end = buffered.indexOf("\r\n");
        if (line.startsWith("-")) reject(new Error(`MONITOR refused: ${line.slice(1)}`));
        else if (!acknowledged && line === "+OK") {
          // AUTH answers OK too; MONITOR's OK is the last one expected.
          if (--pendingOks === 0) {
            acknowledged = true;
            resolve();
          }
        } else if (acknowledged) events.emit("monitor", ...parseMonitorLine(line));
      }
    });
  });
  if (password) {
    socket.write(`AUTH ${username ? `${username} ` : ""}${password}\r\n`);
  }
  socket.write("MONITOR\r\n");
  await ready;
  socket.on("error", () => {});
  return {
    on: (event, listener) => events.on(event, listener),
    disconnect: () => socket.destroy(),
  };
}

/** `+1700000000.123456 [0 127.0.0.1:5000] "mget" "a\"b"` → the time, ["mget", 'a"b'] and "127.0.0.1:5000". */
function parseMonitorLine(line: string): [string, string[], string] {
  const time = line.slice(1, line.indexOf(" "));
  // `[0 127.0.0.1:5000]`, `[0 [::1]:5000]` or `[0 unix:/tmp/redis.sock]`: up to the first `] "`.
  const client = /^\+\S+ \[\d+ (.+?)\] "/.exec(line)?.[1] ?? "";
  const quoted = line.slice(line.indexOf('"') + 1, -1);
  return [time, quoted.split('" "').map((arg) => arg.replace(/\\"/g, '"')), client];
}

const addressOf = (clientLine: string) => /\baddr=(\S+)/.exec(clientLine)?.[1] ?? "";

/** The address Redis knows `client`'s connection by (MONITOR's and CLIENT LIST's `addr`). */
export async function clientAddress(client: Redis): Promise<string> {
  return addressOf(String(await client.call("client", "info")));
}

/** The addresses of every connection named `name` (CLIENT SETNAME, ioredis' connectionName). */
export async function namedClientAddresses(redis: Redis, name: string): Promise<Set<string>> {
  const clients = String(await redis.call("client", "list")).split("\n");
  return new Set(clients.filter((c) => c.includes(` name=${name} `)).map(addressOf));
}

export async function commandsDuring(
  redis: Redis,
  prefix: string,
  action: () => Promise<unknown>,
): Promise<string[]> {
  const monitor = await openMonitor(redis);
  const seen: string[] = [];
  monitor.on("monitor", (_time: string, args: string[]) => {
    if (args.some((arg) => arg.includes(prefix))) seen.push(args.join(" "));
  });
  await action();
  // A marker command flushes what the monitor has yet to report.
  await redis.get(`${prefix}:marker`);
  await waitFor(async () => (seen.some((c) => c.includes(`${prefix}:marker`)) ? true : undefined));
  monitor.disconnect();
  return seen.filter((c) => !c.includes(`${prefix}:marker`));
}
