import calculateSlot from "cluster-key-slot";
import { Cluster, type Redis } from "ioredis";
import type { Logger } from "../log/logger";
import { loopStalls } from "./loop-stalls";
import type { RedisConnection } from "./redis-client";

/** Thrown instead of sending a command to a node whose circuit is open: no waiting at all. */
export class CircuitOpenError extends Error {
  constructor(readonly node: string) {
    super(`Redis node ${node} is unavailable (circuit open)`);
    this.name = "CircuitOpenError";
  }
}

export type CircuitState = { node: string; since: number; lastError: string };

export type CircuitBreakerOptions = {
  logger: Logger;
  /** An open circuit lets one probe through after this long; each failed probe doubles it, up to `maxCooldownMs`. */
  cooldownMs?: number;
  maxCooldownMs?: number;
  now?: () => number;
  /** Called on every change, for metrics. */
  onChange?: (open: readonly CircuitState[]) => void;
};

type Circuit = CircuitState & { retryAt: number; cooldownMs: number; probing: boolean };

/**
 * One circuit per Redis node (per slot range on a Cluster). A command that fails for a reason of
 * the node's (timeout, closed connection, CLUSTERDOWN…) opens its node's circuit: later commands
 * for that node fail at once with CircuitOpenError, and callers take their fallback, instead of
 * each waiting for a timeout. After a cooldown one real command goes through as the probe;
 * its answer (not a reconnect event) closes the circuit.
 */
export class CircuitBreaker {
  private readonly circuits = new Map<string, Circuit>();
  private prober: NodeJS.Timeout | undefined;
  private readonly logger: Logger;
  private readonly cooldownMs: number;
  private readonly maxCooldownMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: RedisConnection,
    private readonly options: CircuitBreakerOptions,
  ) {
    this.logger = options.logger;
    this.cooldownMs = options.cooldownMs ?? 1_000;
    this.maxCooldownMs = options.maxCooldownMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  /** Runs `command` (whose keys hash like `key`) unless that node's circuit is open. */
  run<T>(key: string, command: () => Promise<T>): Promise<T> {
    return this.runOn(this.nodeOf(key), command);
  }

  /** Runs `command` on `node` (a name from nodeOf or masters) unless its circuit is open. */
  async runOn<T>(node: string, command: () => Promise<T>): Promise<T> {
    const circuit = this.circuits.get(node);
    if (circuit && !this.admitProbe(circuit)) throw new CircuitOpenError(node);
    const sent = performance.now();
    const stalledBefore = loopStalls.total;
    try {
      const result = await command();
      if (circuit) this.closeCircuit(node);
      return result;
    } catch (error) {
      // A timeout this process's own stall explains (a GC pause, a start on a loaded machine) says
      // nothing of the node: its reply may have been unread in the socket. A probe waits its cooldown.
      if (loopStalls.heldReply(error, sent, stalledBefore)) {
        if (circuit?.probing)
          Object.assign(circuit, { probing: false, retryAt: this.now() + circuit.cooldownMs });
      } else if (isNodeFault(error)) this.fail(node, error as Error, circuit?.probing === true);
      else if (circuit) this.closeCircuit(node);
      throw error;
    }
  }

  /** Whether a command for `key` would be refused right now (no probe is admitted by asking). */
  isOpen(key: string): boolean {
    const circuit = this.circuits.get(this.nodeOf(key));
    return circuit !== undefined && (circuit.probing || this.now() < circuit.retryAt);
  }

  /** The open circuits, oldest first. */
  get open(): CircuitState[] {
    return [...this.circuits.values()].map(({ node, since, lastError }) => ({ node, since, lastError }));
  }

  /** The node serving `key`: `host:port` of its slot's master on a Cluster, `redis` otherwise. */
  nodeOf(key: string): string {
    if (!(this.client instanceof Cluster)) return "redis";
    return this.client.slots[calculateSlot(key)]?.[0] ?? "cluster";
  }

  /**
   * Each master by the name nodeOf gives, with its connection (none for a slot owner the client
   * lost): a standalone client is its own one master.
   */
  masters(): { node: string; redis?: Redis }[] {
    if (!(this.client instanceof Cluster)) return [{ node: "redis", redis: this.client }];
    const connected = new Map(
      this.client.nodes("master").map((redis) => [`${redis.options.host}:${redis.options.port}`, redis]),
    );
    const owners = new Set(this.client.slots.flatMap((slot) => (slot?.[0] ? [slot[0]] : [])));
    for (const node of connected.keys()) owners.add(node);
    return [...owners].map((node) => {
      const redis = connected.get(node);
      return redis ? { node, redis } : { node };
    });
  }

  private admitProbe(circuit: Circuit): boolean {
    if (circuit.probing || this.now() < circuit.retryAt) return false;
    circuit.probing = true;
    return true;
  }

  private fail(node: string, error: Error, probe: boolean): void {
    const now = this.now();
    const circuit = this.circuits.get(node);
    if (circuit) {
      // Commands sent before the circuit opened fail too; only a failed probe backs off further.
      if (probe) {
        circuit.cooldownMs = Math.min(circuit.cooldownMs * 2, this.maxCooldownMs);
        circuit.retryAt = now + circuit.cooldownMs;
        circuit.probing = false;
      }
      circuit.lastError = error.message;
      return;
    }
    const opened = {
      node,
      since: now,
      lastError: error.message,
      cooldownMs: this.cooldownMs,
      retryAt: now + this.cooldownMs,
      probing: false,
    };
    this.circuits.set(node, opened);
    this.startProbing();
    this.logger.warn("redis node unavailable; its commands fail fast until a probe answers", {
      node,
      error: error.message,
    });
    this.options.onChange?.(this.open);
  }

  private closeCircuit(node: string): void {
    const circuit = this.circuits.get(node);
    if (!circuit) return;
    this.circuits.delete(node);
    if (this.circuits.size === 0) this.stopProbing();
    this.logger.info("redis node answers again", { node, down_for_ms: this.now() - circuit.since });
    this.options.onChange?.(this.open);
  }

  /**
   * While a circuit is open, its node is pinged when a probe is due, so it closes when the
   * node answers even if no request comes to try it (an idle process still reports the truth).
   */
  private startProbing(): void {
    if (this.prober) return;
    this.prober = setInterval(() => {
      const masters = new Map(this.masters().map(({ node, redis }) => [node, redis]));
      for (const node of this.circuits.keys()) {
        this.runOn(node, () => this.probeCommand(node, masters.get(node))).catch(() => {});
      }
    }, this.cooldownMs);
    this.prober.unref();
  }

  /**
   * On a Cluster, a key of one of the node's slots read through the cluster client: it follows
   * the client's routing and reconnection, where the node's own connection object may be one the
   * client has given up (a master restarted: its PING failed forever and the circuit never
   * closed). Elsewhere, or for a node that owns no slot, its connection's PING.
   */
  private probeCommand(node: string, redis: Redis | undefined): Promise<unknown> {
    if (this.client instanceof Cluster) {
      const slot = this.client.slots.findIndex((owners) => owners?.[0] === node);
      if (slot >= 0) return this.client.exists(keyInSlot(slot));
    }
    const connection = redis ?? (this.client instanceof Cluster ? undefined : this.client);
    return connection ? connection.ping() : Promise.reject(new Error(`no connection to ${node}`));
  }

  private stopProbing(): void {
    clearInterval(this.prober);
    this.prober = undefined;
  }

  /** Stops the background probes (the client's owner closes it). */
  close(): void {
    this.stopProbing();
  }
}

/** Reply errors that say the node (not the command) cannot answer now. */
const NODE_REPLIES = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|BUSY)\b/;

/**
 * Whether an error means the node is unavailable: a timeout, a closed or unwritable connection,
 * a failing cluster. A command's own error (WRONGTYPE, a script's error) says the node answered.
 */
export function isNodeFault(error: unknown): boolean {
  if (error instanceof CircuitOpenError) return false;
  if (!(error instanceof Error)) return false;
  // A bug in rapfs or a library says nothing of the node: it must not open a circuit.
  if (PROGRAMMING_ERRORS.some((type) => error instanceof type)) return false;
  if (error.name === "ReplyError") return NODE_REPLIES.test(error.message);
  return true;
}

/**
 * The replies of a Redis that is up and will not write (at maxmemory under noeviction, a replica,
 * too few replicas, a failed snapshot, an ACL), also inside a script's error. Not MOVED or ASK:
 * a slot moving between masters (resharding, a failover) is not a refusal of the write.
 */
const REFUSALS = /(^|[\s:(])(OOM|READONLY|NOREPLICAS|MISCONF|NOPERM)\b/;

/** Whether Redis answered a command with a refusal to write: the node is up, the command not done. */
export function isRefusal(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError" && REFUSALS.test(error.message);
}

const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError];

const probeKeys = new Map<number, string>();

/** A key that hashes to `slot` (found once per slot; a few thousand CRC16s at most, on average). */
export function keyInSlot(slot: number): string {
  let key = probeKeys.get(slot);
  for (let i = 0; key === undefined; i++) {
    const candidate = `rapfs:circuit-probe:${i}`;
    if (calculateSlot(candidate) === slot) key = candidate;
  }
  probeKeys.set(slot, key);
  return key;
}
