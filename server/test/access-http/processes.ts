import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../src/config/paths";
import { rapfsArgs } from "../support/rapfs-command";

/** A `rapfs start` in a process of its own, its stdout and stderr kept for inspection. */
export type ServerProcess = {
  name: string;
  url: string;
  /** The server's own process (`node … start`), e.g. for its RSS. */
  pid: number | undefined;
  output: () => string;
  /** How the process ended (`code` or `signal`), or undefined while it runs. */
  exit: () => string | undefined;
  /** SIGTERM and wait for the exit (the server flushes usage and last-used on the way out). */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit: nothing is flushed. */
  kill(): Promise<void>;
};

export async function startServerProcess(name: string, env: Record<string, string>): Promise<ServerProcess> {
  let output = "";
  const child: ChildProcess = spawn(process.execPath, rapfsArgs("start"), {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "debug",
      RAPFS_DATA_DIR: mkdtempSync(join(tmpdir(), `rapfs-${name}-`)),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const listening = /"msg":"listening".*?"url":"(http:\/\/[^"]+)"/.exec(output);
      if (listening?.[1]) resolve(listening[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`${name} exited with ${code} before listening:\n${output}`)),
    );
  });
  return {
    name,
    url,
    pid: child.pid,
    output: () => output,
    exit: () => exit,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      // A server whose shutdown hangs (seen after fault injection) must not hang the suite.
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(killer);
    },
    async kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Polls until `check` passes (or throws its last failure at the deadline). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 120_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}

const READY_WITHIN_MS = 240_000;

/** Polls /ready until 200; a process that has exited fails at once, with the end of its output. */
export async function waitReady(server: ServerProcess): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    const exit = server.exit();
    if (exit)
      throw new Error(`${server.name} exited (${exit}) before ready:\n${server.output().slice(-4_000)}`);
    try {
      const res = await fetch(`${server.url}/ready`);
      if (res.status === 200) return;
      if (Date.now() > deadline) throw new Error(`${server.name} not ready: ${await res.text()}`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until the server has logged a line with message `msg` (work it does after /ready). */
export async function waitLogged(server: ServerProcess, msg: string, withinMs = 120_000): Promise<void> {
  const line = `"msg":${JSON.stringify(msg)}`;
  await eventually(
    async () => {
      if (server.output().includes(line)) return;
      const exit = server.exit();
      if (exit) throw new Error(`${server.name} exited (${exit}) before logging ${msg}`);
      throw new Error(`${server.name} has not logged ${msg}:\n${server.output().slice(-2_000)}`);
    },
    withinMs,
    200,
  );
}

/** Waits until /ready's check `name` passes (a background warm-up, such as the views copied into memory). */
export async function waitCheck(server: ServerProcess, name: string, withinMs = 120_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const report = (await (await fetch(`${server.url}/ready`)).json()) as {
      checks?: { name: string; status: string }[];
    };
    const check = report.checks?.find((c) => c.name === name);
    if (!check || check.status === "pass") return;
    if (Date.now() > deadline) throw new Error(`${server.name}: /ready's ${name} still failing`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The current limiter backend from the `rapfs_limiter_backend` gauge. */
export async function limiterBackend(server: ServerProcess): Promise<string | undefined> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return /rapfs_limiter_backend\{backend="(\w+)"\} 1\b/.exec(text)?.[1];
}
