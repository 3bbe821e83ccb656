import { createHash, randomBytes } from "node:crypto";
import calculateSlot from "cluster-key-slot";
import { Cluster, type Redis } from "ioredis";
import { CircuitOpenError, isNodeFault, keyInSlot } from "./circuit-breaker";
import { loopStalls } from "./loop-stalls";
import type { CompleteCopy } from "./types";

/** Sets the seal only if it still holds what the copy found at its start (nothing was lost since). */
const SEAL = `if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2]) return 1 end return 0`;

/**
 * The seals' name, by row key layout: a seal of the layout before shards (`complete`) vouches for
 * keys no longer read, so it must not count.
 */
const SEALS = "complete-sharded";

/** One master's seal of a view version: its key (in a slot of that master) and its slots' fingerprint. */
type Part = { key: string; slots: string };

type Guard = <T>(key: string, command: () => Promise<T>) => Promise<T>;

/** What a part's command gives when its master does not answer (its circuit open, a node fault). */
const UNREACHABLE = Symbol("unreachable");

/**
 * Which view versions Redis holds whole, per master: a seal key per view version on each master,
 * set by a sync once that master holds every row of a run. A master that loses its keys
 * (restarted empty, flushed) loses its seal with them, so its missing ids are unknown again (the
 * fallback asks Postgres) while the other masters still answer "absent" themselves. The seal
 * that vouches for an id is the one on the master owning its row key's slot, whatever the row
 * key layout; a seal names its master's slots, so slots moved since make it vouch for nothing.
 */
export class RedisSeals {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly prefix: string,
    private readonly guard: Guard,
  ) {}

  /** Of the ids whose rows are missing, those whose master holds the view version whole. */
  async vouched(viewKey: string, rowKeys: ReadonlyMap<string, string>): Promise<Set<string>> {
    const parts = this.parts(viewKey);
    const byPart = new Map<string, { part: Part; ids: string[] }>();
    for (const [id, rowKey] of rowKeys) {
      const part = this.isCluster ? parts.get(this.ownerOf(rowKey) ?? "") : parts.get("redis");
      if (!part) continue;
      const group = byPart.get(part.key) ?? { part, ids: [] };
      group.ids.push(id);
      byPart.set(part.key, group);
    }
    const vouched = new Set<string>();
    await Promise.all(
      [...byPart.values()].map(async ({ part, ids }) => {
        const run = await this.sealedRun(part).catch(() => Number.NaN);
        if (Number.isInteger(run)) for (const id of ids) vouched.add(id);
      }),
    );
    return vouched;
  }

  /**
   * The run every master that answers holds whole (the oldest of their seals); NaN when one
   * holds none. A master that does not answer is left out, so the views on the others keep
   * syncing (`cluster-require-full-coverage no`); its seal is read again once it answers.
   */
  async completeRun(viewKey: string): Promise<number> {
    const parts = [...this.parts(viewKey).values()];
    if (parts.length === 0) return Number.NaN;
    const texts = await Promise.all(parts.map((part) => this.onPart(part, () => this.client.get(part.key))));
    const runs = parts.flatMap((part, i) =>
      texts[i] === UNREACHABLE ? [] : [runOf(part, texts[i] ?? null)],
    );
    if (runs.length === 0) throw new Error(`no Redis master answers for the seals of ${viewKey}`);
    return runs.some((run) => !Number.isInteger(run)) ? Number.NaN : Math.min(...runs);
  }

  /**
   * Notes what each master's seal holds before a sync writes rows (a token where there is none),
   * so the seal after it is set only where that is still there: a master that lost its keys
   * during the copy stays unsealed until the next sync. The rows of masters already whole at
   * `runId` need no copy (a master restarted empty: only its rows are written again).
   */
  async begin(viewKey: string, runId: number, rowKeyOf: (id: string) => string): Promise<CompleteCopy> {
    const token = `copying ${randomBytes(9).toString("base64url")}`;
    // A master that does not answer is not sealed (nor are its rows written: they fail).
    const found = (
      await Promise.all(
        [...this.parts(viewKey)].map(async ([node, part]) => {
          const held = await this.onPart(part, async () => {
            await this.client.set(part.key, token, "NX");
            return this.client.get(part.key);
          });
          return held === UNREACHABLE ? [] : [{ node, part, held }];
        }),
      )
    ).flat();
    if (found.length === 0) throw new Error(`no Redis master answers for the seals of ${viewKey}`);
    const whole = new Set(
      found.flatMap(({ node, part, held }) => (runOf(part, held) >= runId ? [node] : [])),
    );
    // A master that did not answer is skipped too: its rows cannot be written now, and its seal
    // is missing or older, so the check after it answers again copies them. The others sync on.
    const answered = new Set(found.map(({ node }) => node));
    const skipped = (node: string) => whole.has(node) || (this.isCluster && !answered.has(node));
    return {
      holds: (id) => skipped(this.isCluster ? (this.ownerOf(rowKeyOf(id)) ?? "") : "redis"),
      repairs: whole.size > 0,
      writes: found.some(({ node }) => !whole.has(node)),
      seal: async () => {
        const sealed = await Promise.all(
          found.map(({ node, part, held }) =>
            whole.has(node)
              ? 1
              : this.guard(part.key, () =>
                  this.client.eval(SEAL, 1, part.key, held ?? "", `sealed ${runId} ${part.slots}`),
                ),
          ),
        );
        return found.length > 0 && sealed.every((ok) => ok === 1);
      },
    };
  }

  /** Removes every master's seal (before the view's rows go). */
  async clear(viewKey: string): Promise<void> {
    await Promise.all(
      [...this.parts(viewKey).values()].map((part) => this.guard(part.key, () => this.client.del(part.key))),
    );
  }

  private async onPart<T>(part: Part, command: () => Promise<T>): Promise<T | typeof UNREACHABLE> {
    try {
      return await this.guard(part.key, command);
    } catch (error) {
      // A timeout of this process's own stall is no reason to skip the master: the sync fails
      // and the next check copies it whole.
      if (error instanceof CircuitOpenError || (isNodeFault(error) && !loopStalls.excuses(error)))
        return UNREACHABLE;
      throw error;
    }
  }

  private async sealedRun(part: Part): Promise<number> {
    return runOf(part, await this.guard(part.key, () => this.client.get(part.key)));
  }

  private get isCluster(): boolean {
    return this.client instanceof Cluster;
  }

  private ownerOf(key: string): string | undefined {
    return (this.client as Cluster).slots[calculateSlot(key)]?.[0];
  }

  /**
   * Each master's part by its name (`redis` for a standalone server): on a Cluster, the seal
   * key sits in the master's lowest slot, and the fingerprint is a digest of the slots it owns.
   */
  private parts(viewKey: string): Map<string, Part> {
    if (!(this.client instanceof Cluster)) {
      return new Map([["redis", { key: `${this.prefix}:${SEALS}:${viewKey}`, slots: "-" }]]);
    }
    const owned = new Map<string, number[]>();
    this.client.slots.forEach((owners, slot) => {
      const node = owners?.[0];
      if (!node) return;
      const slots = owned.get(node) ?? [];
      slots.push(slot);
      owned.set(node, slots);
    });
    const parts = new Map<string, Part>();
    for (const [node, slots] of owned) {
      const key = `${this.prefix}:${SEALS}:{${keyInSlot(slots[0] as number)}}:${viewKey}`;
      const digest = createHash("sha1").update(rangesOf(slots)).digest("base64url").slice(0, 12);
      parts.set(node, { key, slots: digest });
    }
    return parts;
  }
}

/** The run a seal's text names, if it is a seal of the master's present slots (NaN otherwise). */
function runOf(part: Part, text: string | null): number {
  const [word, run, slots] = (text ?? "").split(" ");
  return word === "sealed" && slots === part.slots ? Number(run) : Number.NaN;
}

/** `0-5460,5462` for ascending slots. */
function rangesOf(slots: readonly number[]): string {
  const ranges: string[] = [];
  let start = slots[0] as number;
  for (let i = 1; i <= slots.length; i++) {
    const slot = slots[i];
    const previous = slots[i - 1] as number;
    if (slot === previous + 1) continue;
    ranges.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = slot as number;
  }
  return ranges.join(",");
}
