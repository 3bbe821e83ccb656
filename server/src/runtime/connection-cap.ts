import { readFileSync } from "node:fs";
import type { Server } from "node:net";
import type { Logger } from "../log/logger";

export type ConnectionLimits = {
  /** Open connections one client address may hold; 0 for no cap. */
  perAddress: number;
  /** Open connections in all; 0 for no cap. */
  total: number;
};

export type ConnectionCap = {
  /** Open connections per address (only addresses with one or more). */
  open(): ReadonlyMap<string, number>;
  /** Connections refused since the server started. */
  refused(): number;
};

/**
 * Caps the connections a client address may hold open, and all connections, at the socket: past a
 * cap a new connection is destroyed before it costs a request. Thousands of connections dribbling
 * headers from one address would otherwise take the descriptors every other client needs. The
 * address is the socket's: behind a proxy it is the proxy's, so the per-address cap then defaults
 * to off (connectionLimits).
 */
export function capConnections(server: Server, limits: ConnectionLimits, logger?: Logger): ConnectionCap {
  const open = new Map<string, number>();
  let total = 0;
  let refused = 0;
  let lastWarned = 0;
  server.on("connection", (socket) => {
    const address = normalize(socket.remoteAddress ?? "");
    const held = open.get(address) ?? 0;
    const full = limits.perAddress > 0 && held >= limits.perAddress;
    if (full || (limits.total > 0 && total >= limits.total)) {
      refused++;
      socket.destroy();
      const now = Date.now();
      if (now - lastWarned >= 60_000) {
        lastWarned = now;
        logger?.warn("connections refused at the cap", {
          refused_total: refused,
          cap: full ? "per_address" : "total",
          per_address: limits.perAddress,
          total: limits.total,
        });
      }
      return;
    }
    open.set(address, held + 1);
    total++;
    socket.once("close", () => {
      total--;
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
  return { open: () => open, refused: () => refused };
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
const normalize = (address: string) => (address.startsWith("::ffff:") ? address.slice(7) : address);

/**
 * The caps from the environment (RAPFS_MAX_CONNECTIONS_PER_ADDRESS, RAPFS_MAX_CONNECTIONS), or
 * their defaults: 256 per address (none behind trusted proxies, where every client has the
 * proxy's address), and in all four fifths of the process's descriptor limit, leaving the rest
 * to the database, Redis and files.
 */
export function connectionLimits(
  configured: { perAddress?: number | undefined; total?: number | undefined },
  trustedProxyHops: number,
  descriptors: () => number | undefined = softDescriptorLimit,
): ConnectionLimits {
  const descriptorLimit = descriptors();
  return {
    perAddress: configured.perAddress ?? (trustedProxyHops > 0 ? 0 : 256),
    total: configured.total ?? (descriptorLimit ? Math.max(64, Math.floor(descriptorLimit * 0.8)) : 0),
  };
}

/** The soft RLIMIT_NOFILE, from /proc on Linux; undefined elsewhere or when unlimited. */
function softDescriptorLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isInteger(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}
