import calculateSlot from "cluster-key-slot";
import { Cluster, type Redis } from "ioredis";
import { nextTurn } from "../values/turns";
import type { CircuitBreaker } from "./circuit-breaker";
import { DecodedRows, decodeRow } from "./decoded-rows";
import type { NearCache } from "./near-cache";
import { unlinkMatching } from "./redis-client";
import {
  assertKeyPrefix,
  assertViewKey,
  idOfRowKey,
  packRow,
  rowKey,
  unshardedViewPattern,
  viewPattern,
  viewRowsPrefix,
} from "./redis-keys";
import { RedisSeals } from "./seals";
import type { Tracking } from "./tracking";
import {
  ABSENT,
  type CompleteCopy,
  type OnlineRow,
  type OnlineStore,
  type RowsWatch,
  type ViewRead,
  type WatchedRow,
  type WriteOptions,
} from "./types";

export type RedisOnlineStoreOptions = {
  /** Keeps deployments sharing one Redis apart; default `rapfs`. */
  prefix?: string;
  /** Rows per MSET when writing; bounds the size of one command. */
  writeChunk?: number;
  /** Decoded rows kept for reuse while their stored text is unchanged (DecodedRows); without a near cache. */
  decodedRows?: number;
  /** Rows kept in this process while Redis reports no change to them, and what keeps them coherent. */
  near?: { cache: NearCache; tracking: Tracking };
  /** Reads and writes of a node that stopped answering fail at once (the caller falls back). */
  breaker?: CircuitBreaker;
  /**
   * A connection of their own for reads wider than the near cache keeps (a free key's 1,000-id
   * batch of every view: megabytes of replies). On the shared one, a lookup sent after such a
   * read waited for all of its replies (30 ms against 3 ms, 9,000 rows of 2 KB). While it is not
   * connected, or when an MGET fails on it, wide reads take the shared one.
   */
  wideReads?: Redis | Cluster;
  now?: () => number;
};

/**
 * The most keys one MGET of a read asks for: about SLICE_MS of decoding. A free key's 1,000-id
 * batch of every view (9,000 keys) was one MGET decoded in one go, 80 ms of the event loop, and
 * one reply of megabytes that Redis built while every other client waited (issue #38).
 */
export const READ_GROUP_KEYS = 512;

/** The most rows one read keeps in the near cache. */
export const NEAR_KEEP_MAX_ROWS = 1_024;

/**
 * Rows packed as one JSON string per key (see redis-keys.ts for the layout), read with one MGET per
 * batch. Measured against pipelined HGETALL of one hash per row (test/online/measure-layout.ts):
 * for 100 ids × 50 fields MGET took 0.45 ms against 5.7 ms, for 100 × 10 fields 0.23 ms against 1.4 ms.
 */
export class RedisOnlineStore implements OnlineStore {
  readonly prefix: string;
  private readonly writeChunk: number;
  private readonly decoded: DecodedRows | undefined;
  private readonly near: NearCache | undefined;
  private readonly tracking: Tracking | undefined;
  private readonly breaker: CircuitBreaker | undefined;
  private readonly now: () => number;
  private readonly seals: RedisSeals;
  private readonly wideReads: Redis | Cluster | undefined;

  constructor(
    private readonly client: Redis | Cluster,
    options: RedisOnlineStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? "rapfs";
    assertKeyPrefix(this.prefix);
    this.writeChunk = options.writeChunk ?? 500;
    this.near = options.near?.cache;
    this.tracking = options.near?.tracking;
    this.decoded = this.near ? undefined : new DecodedRows(options.decodedRows);
    this.breaker = options.breaker;
    this.wideReads = options.wideReads;
    this.now = options.now ?? Date.now;
    this.seals = new RedisSeals(client, this.prefix, (key, command) => this.guard(key, command));
  }

  async write(viewKey: string, rows: readonly OnlineRow[], options: WriteOptions = {}): Promise<void> {
    assertViewKey(viewKey);
    for (let start = 0; start < rows.length; start += this.writeChunk) {
      const chunk = rows.slice(start, start + this.writeChunk);
      // This process reads its own writes at once; Redis's invalidations reach the others.
      const keys = this.near ? chunk.map((row) => rowKey(this.prefix, viewKey, row.id)) : [];
      this.near?.invalidate(keys);
      await this.writeChunkOf(viewKey, chunk, options);
      this.near?.invalidate(keys);
    }
  }

  private async writeChunkOf(
    viewKey: string,
    chunk: readonly OnlineRow[],
    options: WriteOptions,
  ): Promise<void> {
    const keyed = chunk.map((row) => ({ key: rowKey(this.prefix, viewKey, row.id), row }));
    // A Cluster takes a multi-key command or a pipeline within one slot: one per shard touched.
    await Promise.all(
      this.bySlot(keyed, (entry) => entry.key).map(async (group) => {
        const first = (group[0] as (typeof group)[number]).key;
        if (options.ttlMs === undefined && !options.ifAbsent) {
          const args = group.flatMap(({ key, row }) => [key, packRow(row)]);
          await this.guard(first, () => this.client.mset(args));
          return;
        }
        const pipeline = this.client.pipeline();
        for (const { key, row } of group) {
          const text = packRow(row);
          if (options.ttlMs === undefined) pipeline.set(key, text, "NX");
          else if (options.ifAbsent) pipeline.set(key, text, "PX", options.ttlMs, "NX");
          else pipeline.set(key, text, "PX", options.ttlMs);
        }
        // Inside the guard: exec answers each command's failure (a timeout) as a result, which the
        // breaker must see as the node's fault, not as an answer that closes its circuit.
        await this.guard(first, async () => throwFirstError(await pipeline.exec()));
      }),
    );
  }

  /** `items` by Cluster slot (one slot on a single Redis), in groups of at most READ_GROUP_KEYS. */
  private readGroups<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
    return this.bySlot(items, keyOf).flatMap((group) => {
      if (group.length <= READ_GROUP_KEYS) return [group];
      const parts: T[][] = [];
      for (let at = 0; at < group.length; at += READ_GROUP_KEYS)
        parts.push(group.slice(at, at + READ_GROUP_KEYS));
      return parts;
    });
  }

  /** `items` in groups of one Cluster slot each (one group on a single Redis). */
  private bySlot<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
    if (!this.client.isCluster) return items.length > 0 ? [[...items]] : [];
    const groups = new Map<number, T[]>();
    for (const item of items) {
      const slot = calculateSlot(keyOf(item));
      const group = groups.get(slot);
      if (group) group.push(item);
      else groups.set(slot, [item]);
    }
    return [...groups.values()];
  }

  async read(viewKey: string, ids: readonly string[]): Promise<Map<string, OnlineRow>> {
    assertViewKey(viewKey);
    const unique = [...new Set(ids)];
    const rows =
      unique.length > 0
        ? await this.fetch(
            unique.map(() => viewKey),
            unique,
          )
        : [];
    return foundOf(unique, rows, 0);
  }

  /**
   * MGETs over the keys of every view version, sent together: one read, as wide as all of them
   * (in Redis Cluster, MGETs of one slot each, as `fetch` groups them).
   */
  async readMany(requests: readonly ViewRead[]): Promise<Map<string, OnlineRow>[]> {
    const uniques = requests.map((r) => {
      assertViewKey(r.viewKey);
      return [...new Set(r.ids)];
    });
    const views: string[] = [];
    const ids: string[] = [];
    requests.forEach((r, i) => {
      for (const id of uniques[i] ?? []) {
        views.push(r.viewKey);
        ids.push(id);
      }
    });
    const rows = ids.length > 0 ? await this.fetch(views, ids) : [];
    let at = 0;
    return uniques.map((unique) => {
      const found = foundOf(unique, rows, at);
      at += unique.length;
      return found;
    });
  }

  /**
   * The rows of `ids[i]` in view version `views[i]`, in order: those the near cache holds from
   * it, the rest with MGETs of at most READ_GROUP_KEYS keys, sent together.
   */
  private async fetch(
    views: readonly string[],
    ids: readonly string[],
    options: { keep?: boolean } = {},
  ): Promise<(OnlineRow | undefined)[]> {
    const rows = new Array<OnlineRow | undefined>(ids.length);
    const near = this.near?.enabled ? this.near : undefined;
    const now = near ? this.now() : 0;
    const asked: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const row = near?.get(views[i] as string, ids[i] as string, now);
      if (row) rows[i] = row;
      else asked.push(i);
    }
    if (asked.length === 0) return rows;
    const keys = asked.map((i) => rowKey(this.prefix, views[i] as string, ids[i] as string));
    // A read this wide is a scan (a free key's 1,000-id batch of every view): it is answered
    // from the rows kept, but keeps none, which would evict the rows lookups come back for.
    const keep = options.keep !== false && keys.length <= NEAR_KEEP_MAX_ROWS;
    const token = near && keep ? near.begin(keys) : 0;
    try {
      const groups = this.readGroups(
        keys.map((_, j) => j),
        (j) => keys[j] as string,
      );
      // Every MGET leaves at once (one round trip); their replies are decoded one per turn of
      // the event loop, so a wide read never holds it for the whole batch.
      const replies = groups.map((group) =>
        this.readGroup(
          group.map((j) => keys[j] as string),
          keep,
        ),
      );
      for (const reply of replies) reply.catch(() => {});
      for (const [g, group] of groups.entries()) {
        if (g > 0) await nextTurn();
        const texts = await (replies[g] as Promise<(string | null)[]>);
        group.forEach((j, n) => {
          const text = texts[n];
          if (text == null) return;
          const key = keys[j] as string;
          const i = asked[j] as number;
          const row = this.decode(key, ids[i] as string, text, keep);
          rows[i] = row;
          // Absence markers expire by TTL; a kept one could outlive it.
          if (near && row.eventTimestamp !== ABSENT) near.keep(key, views[i] as string, row, token, now);
        });
      }
    } finally {
      near?.end(keys, token);
    }
    return rows;
  }

  /** One MGET: on the wide reads' connection for a read that keeps nothing, while it is up. */
  private readGroup(keys: string[], keep: boolean): Promise<(string | null)[]> {
    const first = keys[0] as string;
    const wide = keep ? undefined : this.wideReads;
    if (wide?.status !== "ready" || this.breaker?.isOpen(first))
      return this.guard(first, () => this.client.mget(keys));
    // Its own failures (a Cluster node's connection still warming up after a failover, a timeout
    // behind its own megabytes) say nothing of the node, so they open no circuit that lookups
    // share: the MGET is sent again on the shared connection, whose failures do.
    return wide.mget(keys).catch(() => this.guard(first, () => this.client.mget(keys)));
  }

  /** Rows are shared (near cache, DecodedRows, the row texts api/features/codec.ts keeps): nothing may change them. */
  private decode(key: string, id: string, text: string, keep: boolean): OnlineRow {
    return this.decoded ? this.decoded.decode(key, id, text, decodeRow, keep) : decodeRow(id, text);
  }

  async deleteView(viewKey: string): Promise<number> {
    assertViewKey(viewKey);
    // The seals first: a view sealed complete with its rows half gone would answer "absent".
    await this.seals.clear(viewKey);
    return this.prune(viewKey, new Set());
  }

  beginCopy(viewKey: string, runId: number): Promise<CompleteCopy> {
    assertViewKey(viewKey);
    return this.seals.begin(viewKey, runId, (id) => rowKey(this.prefix, viewKey, id));
  }

  completeRun(viewKey: string): Promise<number> {
    assertViewKey(viewKey);
    return this.seals.completeRun(viewKey);
  }

  /**
   * Of `ids`, those whose master holds the version whole and that still have no row. The caller
   * read the rows before this looks at the seal, and a sync that sealed in between wrote rows that
   * read missed (a Redis restarted empty, refilled meanwhile: a whole view answered "not found").
   * So the vouched ids are read again after the seal: one still missing then is absent.
   */
  async vouchedAbsent(viewKey: string, ids: readonly string[]): Promise<Set<string>> {
    assertViewKey(viewKey);
    const vouched = await this.seals.vouched(
      viewKey,
      new Map(ids.map((id) => [id, rowKey(this.prefix, viewKey, id)])),
    );
    if (vouched.size === 0) return vouched;
    const again = [...vouched];
    // Kept nowhere, and so on the wide reads' connection, as the wide read it may confirm was.
    const rows = await this.fetch(
      again.map(() => viewKey),
      again,
      { keep: false },
    );
    rows.forEach((row, i) => {
      if (row && row.eventTimestamp !== ABSENT) vouched.delete(again[i] as string);
    });
    return vouched;
  }

  /** Only rows the near cache holds: Redis tells it of every change to them (no near cache on a Cluster). */
  watch(rows: readonly WatchedRow[]): RowsWatch | undefined {
    return this.near?.watch(rows, this.now);
  }

  /** Redis is written by the sync, not filled from Postgres on a miss: nothing cached to drop. */
  async forget(viewKey: string, _ids: readonly string[]): Promise<void> {
    assertViewKey(viewKey);
  }

  async remove(viewKey: string, ids: readonly string[]): Promise<number> {
    assertViewKey(viewKey);
    const keys = ids.map((id) => rowKey(this.prefix, viewKey, id));
    this.near?.invalidate(keys);
    const counts = await Promise.all(
      this.bySlot(keys, (key) => key).map((group) =>
        this.guard(group[0] as string, () => this.client.unlink(...group)),
      ),
    );
    this.near?.invalidate(keys);
    return counts.reduce((sum, n) => sum + n, 0);
  }

  async prune(viewKey: string, keep: ReadonlySet<string>): Promise<number> {
    assertViewKey(viewKey);
    const pattern = viewPattern(this.prefix, viewKey);
    const keyStart = viewRowsPrefix(this.prefix, viewKey);
    this.near?.invalidatePrefix(keyStart);
    // A view version's shards are on every master of a cluster: each is asked.
    const nodes =
      "nodes" in this.client && this.client.isCluster ? this.client.nodes("master") : [this.client];
    const kept = (key: string) => keep.has(idOfRowKey(key));
    let removed = 0;
    for (const node of nodes as Redis[]) {
      removed += await unlinkMatching(node, pattern, kept);
      // Rows of the layout before shards: nothing reads them any more.
      removed += await unlinkMatching(node, unshardedViewPattern(this.prefix, viewKey), () => false);
    }
    this.near?.invalidatePrefix(keyStart);
    return removed;
  }

  /** Pings every master (each through its circuit); the first failure rejects. */
  async ping(): Promise<void> {
    if (!this.breaker || !(this.client instanceof Cluster)) {
      await this.guard("", () => this.client.ping());
      return;
    }
    const { breaker } = this;
    const masters = breaker.masters();
    // A Cluster never reached knows no master: nothing to ping is not a pass.
    if (masters.length === 0) {
      throw new Error(`no Redis Cluster node was reached (the client is ${this.client.status})`);
    }
    await Promise.all(
      masters.map(({ node, redis }) =>
        breaker.runOn(node, () =>
          redis ? redis.ping() : Promise.reject(new Error(`no connection to ${node}`)),
        ),
      ),
    );
  }

  /** True while a node's circuit is open: some reads are served by the fallback. */
  get degraded(): boolean {
    return (this.breaker?.open.length ?? 0) > 0;
  }

  private guard<T>(key: string, command: () => Promise<T>): Promise<T> {
    return this.breaker ? this.breaker.run(key, command) : command();
  }

  async close(): Promise<void> {
    this.breaker?.close();
    await this.tracking?.close();
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}

function foundOf(
  ids: readonly string[],
  rows: readonly (OnlineRow | undefined)[],
  from: number,
): Map<string, OnlineRow> {
  const found = new Map<string, OnlineRow>();
  ids.forEach((id, i) => {
    const row = rows[from + i];
    if (row) found.set(id, row);
  });
  return found;
}

function throwFirstError(results: [Error | null, unknown][] | null): void {
  for (const [error] of results ?? []) if (error) throw error;
}
