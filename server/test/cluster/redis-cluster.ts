import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, waitFor } from "../online/redis-harness";

const run = promisify(execFile);

export type LocalCluster = {
  url: string;
  ports: number[];
  /** SIGKILLs the master on `port` (a lost node: its keys go with it). */
  kill(port: number): Promise<void>;
  /** Starts the master on `port` again, empty, with its old node id and slots (nodes.conf). */
  restart(port: number): Promise<void>;
  /** The cluster's keys in every master, by redis-cli DBSIZE. */
  keys(): Promise<number>;
  /** FLUSHALL on every master. */
  flush(): Promise<void>;
  stop(): Promise<void>;
};

export type ClusterOptions = {
  /** cluster-node-timeout: how long until the others mark a silent master failed (Redis default 15 s). */
  nodeTimeoutMs?: number;
  /** cluster-require-full-coverage (Redis default yes: one master lost fails the whole cluster). */
  requireFullCoverage?: boolean;
};

/**
 * A 3-master Redis Cluster of the test's own on free loopback ports (no replicas, no
 * persistence, files in a temporary directory), torn down by `stop`. The shared 6379 is untouched.
 */
export async function startRedisCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const dir = await mkdtemp(join(tmpdir(), "rapfs-cluster-"));
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) {
    let port = await freePort();
    // Cluster bus ports are port + 10000; both must be free.
    while (port > 55_000 || ports.includes(port)) port = await freePort();
    ports.push(port);
  }
  const stop = async () => {
    for (const port of ports) await kill(port);
    await rm(dir, { recursive: true, force: true });
  };
  const startNode = (port: number) =>
    run("redis-server", [
      ...["--port", String(port), "--bind", "127.0.0.1"],
      ...["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`],
      ...["--cluster-node-timeout", String(options.nodeTimeoutMs ?? 15_000)],
      ...["--cluster-require-full-coverage", options.requireFullCoverage === false ? "no" : "yes"],
      ...["--save", "", "--appendonly", "no", "--daemonize", "yes"],
      ...["--pidfile", join(dir, `${port}.pid`), "--dir", dir],
    ]);
  const kill = async (port: number) => {
    const pid = Number(await readFile(join(dir, `${port}.pid`), "utf8").catch(() => "0"));
    if (pid > 0) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    await rm(join(dir, `${port}.pid`), { force: true });
  };
  const ping = (port: number) =>
    waitFor(async () =>
      (await run("redis-cli", ["-p", String(port), "ping"]).catch(() => ({ stdout: "" }))).stdout.includes(
        "PONG",
      )
        ? true
        : undefined,
    );
  try {
    for (const port of ports) await startNode(port);
    for (const port of ports) await ping(port);
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    // Every node must agree before a client asks one of them for the slot map.
    for (const port of ports) {
      await waitFor(
        async () => {
          const { stdout } = await run("redis-cli", ["-p", String(port), "cluster", "info"]);
          const converged = stdout.includes("cluster_state:ok") && stdout.includes("cluster_known_nodes:3");
          return converged ? true : undefined;
        },
        400,
        25,
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(",")}`,
    ports,
    kill,
    async restart(port) {
      await startNode(port);
      await ping(port);
    },
    async flush() {
      for (const port of ports) await run("redis-cli", ["-p", String(port), "flushall"]);
    },
    async keys() {
      let total = 0;
      for (const port of ports) {
        const { stdout } = await run("redis-cli", ["-p", String(port), "dbsize"]).catch(() => ({
          stdout: "0",
        }));
        total += Number(stdout.trim()) || 0;
      }
      return total;
    },
    stop,
  };
}
