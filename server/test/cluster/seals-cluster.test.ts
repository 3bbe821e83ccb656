import calculateSlot from "cluster-key-slot";
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseUnavailableError } from "../../src/db/circuit";
import { silentLogger } from "../../src/log/logger";
import { createMetrics } from "../../src/metrics/registry";
import { CircuitBreaker, keyInSlot } from "../../src/online/circuit-breaker";
import { ReadThroughStore } from "../../src/online/read-through";
import { connectRedis, createRedisClient } from "../../src/online/redis-client";
import { rowKey } from "../../src/online/redis-keys";
import { RedisOnlineStore } from "../../src/online/redis-store";
import { RedisSeals } from "../../src/online/seals";
import type { FallbackLoader } from "../../src/online/types";
import { listViews } from "../../src/registry";
import { syncOnlineStore } from "../../src/serving/online-sync/sync";
import { range, rows } from "../online/fixtures";
import { waitFor } from "../online/redis-harness";
import { SCALE, SEED } from "../serving/support";
import { preparedDatabase } from "../support/prepared-data";
import { type LocalCluster, startRedisCluster } from "./redis-cluster";

/**
 * Issue #37 item 3 on Redis Cluster: a view version is whole per master. A master restarted
 * empty loses its seal with its keys, so the ids it would hold go back to Postgres, while the
 * other masters still answer "absent" themselves, whatever the row key layout.
 */

const PREFIX = "rapfs-seals-test";
let cluster: LocalCluster;
let client: Cluster;
let store: RedisOnlineStore;

beforeAll(async () => {
  cluster = await startRedisCluster({ nodeTimeoutMs: 2_000 });
  client = createRedisClient(cluster.url, silentLogger) as Cluster;
  expect(await connectRedis(client)).toBe(true);
  store = new RedisOnlineStore(client, { prefix: PREFIX });
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

const portOf = (node: string | undefined) => Number(node?.split(":")[1]);
/** The master port holding `key`, by the client's slot map. */
const masterOf = (key: string) => portOf(client.slots[calculateSlot(key)]?.[0]);

/** Spread row keys, one per id, as a layout over many slots would have them. */
const spread = (ids: readonly string[]) => new Map(ids.map((id) => [id, `${PREFIX}:spread:{${id}}`]));

async function copyWhole(viewKey: string, runId: number): Promise<boolean> {
  const copy = await store.beginCopy(viewKey, runId);
  expect(copy.repairs).toBe(false);
  await store.write(viewKey, rows(range(0, 50)));
  return copy.seal();
}

/** Kills the master on `port` and starts it again empty, then waits until every master takes writes. */
async function restartEmpty(port: number, on = { cluster, client }): Promise<void> {
  await on.cluster.kill(port);
  await restarted(port, on);
}

/** Starts the master on `port` again, then waits until every master takes writes. */
async function restarted(port: number, on = { cluster, client }): Promise<void> {
  const { cluster, client } = on;
  await cluster.restart(port);
  const probes = cluster.ports.map((p) =>
    keyInSlot(client.slots.findIndex((owners) => portOf(owners?.[0]) === p)),
  );
  await waitFor(
    async () => {
      for (const key of probes) await client.set(key, "1");
      return true;
    },
    600,
    50,
  );
}

describe("seals of view versions on a 3-master Redis Cluster", () => {
  it("seals every master, and a master restarted empty stops vouching for its own ids only", async () => {
    const viewKey = "gemma_analysis@1";
    expect(await copyWhole(viewKey, 5)).toBe(true);
    expect(await store.completeRun(viewKey)).toBe(5);
    for (const node of client.nodes("master")) {
      expect(await node.keys(`${PREFIX}:complete-sharded:*`)).toHaveLength(1);
    }
    const ids = range(100, 160).map(String);
    const seals = new RedisSeals(client, PREFIX, (_key, command) => command());
    const keys = spread(ids);
    expect((await seals.vouched(viewKey, keys)).size).toBe(ids.length);
    const ports = new Set(ids.map((id) => masterOf(keys.get(id) as string)));
    expect(ports.size).toBe(3);

    const lost = cluster.ports[0] as number;
    await restartEmpty(lost);
    const vouched = await seals.vouched(viewKey, keys);
    expect(vouched.size).toBeGreaterThan(0);
    for (const id of ids)
      expect([id, vouched.has(id)]).toEqual([id, masterOf(keys.get(id) as string) !== lost]);
    expect(await store.completeRun(viewKey)).toBeNaN();
    // A copy of the same run writes again only the rows of the master that lost them.
    const recopy = await seals.begin(viewKey, 5, (id) => keys.get(id) as string);
    for (const id of ids)
      expect([id, recopy.holds(id)]).toEqual([id, masterOf(keys.get(id) as string) !== lost]);
    // What the metrics count as a repair, not as a second copy of the version.
    expect(recopy.repairs).toBe(true);
    expect(await recopy.seal()).toBe(true);
    expect((await seals.vouched(viewKey, keys)).size).toBe(ids.length);

    // A sync of a newer run over it seals that master again.
    expect(await copyWhole(viewKey, 6)).toBe(true);
    expect(await store.completeRun(viewKey)).toBe(6);
    expect((await seals.vouched(viewKey, keys)).size).toBe(ids.length);
  }, 60_000);

  it("reads absent ids without the database where the rows' master is sealed, and falls back where it lost them", async () => {
    const asked: string[][] = [];
    const stopped: FallbackLoader = async (_view, ids) => {
      asked.push([...ids]);
      throw new DatabaseUnavailableError("The database cannot be reached (test).");
    };
    const reads = new ReadThroughStore({
      primary: store,
      layer: "redis",
      fallback: stopped,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: silentLogger,
    });
    // One view version, its rows spread over every master: ids on the master that will lose its
    // keys, and ids on another.
    const view = "view_1@1";
    expect(await copyWhole(view, 1)).toBe(true);
    const lost = masterOf(rowKey(PREFIX, view, "1"));
    const on = (port: number, from: number, equal: boolean) =>
      range(from, from + 500)
        .map(String)
        .filter((id) => (masterOf(rowKey(PREFIX, view, id)) === port) === equal);
    const [present, absent] = [on(lost, 0, false).filter((id) => Number(id) < 50)[0], on(lost, 70, false)[0]];
    const absentOnLost = on(lost, 70, true)[0] as string;
    expect([...(await reads.read(view, ["1", absentOnLost, absent as string])).keys()]).toEqual(["1"]);
    expect(asked).toEqual([]);

    await restartEmpty(lost);
    await expect(reads.read(view, [absentOnLost])).rejects.toThrow(DatabaseUnavailableError);
    expect(asked).toEqual([[absentOnLost]]);
    expect([...(await reads.read(view, [present as string, absent as string])).keys()]).toEqual([present]);
    expect(asked).toHaveLength(1);
  }, 60_000);

  it("refuses the seal of a copy during which a master lost its keys", async () => {
    const viewKey = "qwen_analysis@2";
    const copy = await store.beginCopy(viewKey, 9);
    await store.write(viewKey, rows(range(0, 50)));
    await restartEmpty(masterOf(rowKey(PREFIX, viewKey, "0")));
    await store.write(viewKey, rows(range(0, 50)));
    expect(await copy.seal()).toBe(false);
    expect(await store.completeRun(viewKey)).toBeNaN();
  }, 60_000);
});

describe("seals while a master is down and the others serve (cluster-require-full-coverage no)", () => {
  let partial: LocalCluster;
  let partialClient: Cluster;
  beforeAll(async () => {
    partial = await startRedisCluster({ nodeTimeoutMs: 1_000, requireFullCoverage: false });
    partialClient = createRedisClient(partial.url, silentLogger) as Cluster;
    expect(await connectRedis(partialClient)).toBe(true);
  }, 60_000);
  afterAll(async () => {
    partialClient?.disconnect();
    await partial?.stop();
  });

  it("repairs the rows of a master that missed a sync, and counts that as a repair, not a second copy", async () => {
    const database = await preparedDatabase({ scale: SCALE, seed: SEED });
    const breaker = new CircuitBreaker(partialClient, { logger: silentLogger });
    const live = new RedisOnlineStore(partialClient, { prefix: `${PREFIX}-sync`, breaker });
    const viewKey = "track_profile@1";
    const sync = async () => (await syncOnlineStore({ sql: database.sql, store: live, only: [viewKey] }))[0];
    /** Syncs every 100 ms until a sync is of `mode`, at most `attempts` times. */
    const syncedAs = (mode: string, attempts: number) =>
      waitFor(
        async () => {
          const result = await sync();
          return result?.mode === mode ? result : undefined;
        },
        attempts,
        100,
      );
    try {
      const down = partial.ports[1] as number;
      await partial.kill(down);
      // Once its circuit is open, the masters that answer are copied and sealed; its rows wait.
      const first = await syncedAs("full", 100);
      const [view] = (await listViews(database.sql)).filter((v) => `${v.name}@${v.version}` === viewKey);
      const total = view?.lastRun?.rowCount as number;
      expect(first.rows).toBeGreaterThan(0);
      expect(first.rows).toBeLessThan(total);
      expect(await sync()).toMatchObject({ mode: "skipped" });

      await restarted(down, { cluster: partial, client: partialClient });
      const second = await syncedAs("repair", 200);
      expect(first.rows + second.rows).toBe(total);
      expect(await live.completeRun(viewKey)).toBe(view?.lastRun?.id);
      expect(await sync()).toMatchObject({ mode: "skipped" });
    } finally {
      breaker.close();
      await database.close();
    }
  }, 60_000);

  it("keeps syncing and vouching for the views of the masters that answer", async () => {
    const breaker = new CircuitBreaker(partialClient, { logger: silentLogger });
    const live = new RedisOnlineStore(partialClient, { prefix: PREFIX, breaker });
    const viewKey = "emotion_scores@1";
    const copy = await live.beginCopy(viewKey, 1);
    await live.write(viewKey, rows(range(0, 50)));
    expect(await copy.seal()).toBe(true);

    const dead = partial.ports[0] as number;
    await partial.kill(dead);
    const onDead = (id: string) =>
      portOf(partialClient.slots[calculateSlot(rowKey(PREFIX, viewKey, id))]?.[0]) === dead;
    // The dead master's seal cannot be read: the view is whole where it can be, and syncs on,
    // writing the rows of the masters that answer and leaving the dead one's for when it answers.
    expect(await waitFor(async () => live.completeRun(viewKey).catch(() => undefined), 100, 50)).toBe(1);
    const next = await live.beginCopy(viewKey, 2);
    // A copy of the masters that answer, none of them whole at run 2 yet: not a repair.
    expect(next.repairs).toBe(false);
    const rowsOf2 = rows(range(0, 50), 2);
    expect(rowsOf2.filter((row) => next.holds(row.id)).every((row) => onDead(row.id))).toBe(true);
    await live.write(
      viewKey,
      rowsOf2.filter((row) => !next.holds(row.id)),
    );
    expect(await next.seal()).toBe(true);
    expect(await live.completeRun(viewKey)).toBe(2);
    const absentAlive = range(77, 300)
      .map(String)
      .find((id) => !onDead(id)) as string;
    expect([...(await live.vouchedAbsent(viewKey, [absentAlive]))]).toEqual([absentAlive]);
    breaker.close();
  }, 60_000);
});
