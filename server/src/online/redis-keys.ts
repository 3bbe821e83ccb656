import calculateSlot from "cluster-key-slot";
import type { OnlineRow } from "./types";

const VIEW_KEY = /^[a-z][a-z0-9_]{0,62}@[1-9][0-9]{0,8}$/;
// No braces: a prefix must never open or close a hash tag.
const PREFIX = /^[A-Za-z0-9:._-]{1,64}$/;
/** What RAPFS_REDIS_PREFIX may be, as its refusal says it. */
export const KEY_PREFIX_RULE = "1 to 64 letters, digits, ':', '.', '_' and '-'";

export class InvalidViewKeyError extends Error {
  override name = "InvalidViewKeyError";
}

/** Refuses anything but `name@version`, so a view key can never break out of its hash tag. */
export function assertViewKey(viewKey: string): void {
  if (!VIEW_KEY.test(viewKey)) {
    throw new InvalidViewKeyError(`"${viewKey}" is not a view key of the form name@version`);
  }
}

export const isKeyPrefix = (prefix: string): boolean => PREFIX.test(prefix);

export function assertKeyPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) throw new InvalidViewKeyError(`"${prefix}" is not a valid key prefix`);
}

/** Shards a view version's rows are spread over (their hash tags): 64 slots of a Cluster. */
export const ROW_SHARDS = 64;

/**
 * `<prefix>:{<view>@<version>~<shard>}:<id>`, the shard a hash of the id. The hash tag spreads a
 * view version over ROW_SHARDS slots, so in Redis Cluster its rows, their memory and their reads
 * fall on every master, not on the one that owned a whole version's slot (at ten times the corpus,
 * track_profile's 577,000 rows on one master); a batch reads one MGET per shard it touches. The
 * deployment prefix keeps several deployments apart in one Redis.
 */
export function rowKey(prefix: string, viewKey: string, id: string): string {
  return `${prefix}:{${viewKey}~${calculateSlot(id) % ROW_SHARDS}}:${id}`;
}

/** The id a row key holds. */
export function idOfRowKey(key: string): string {
  return key.slice(key.indexOf("}:") + 2);
}

/** What every row key of one view version starts with. */
export function viewRowsPrefix(prefix: string, viewKey: string): string {
  return `${prefix}:{${viewKey}~`;
}

/** What every row key of a deployment starts with (and nothing else of it does). */
export function rowKeysPrefix(prefix: string): string {
  return `${prefix}:{`;
}

const glob = (text: string) => text.replace(/[*?[\]\\{}]/g, "\\$&");

/** A SCAN pattern matching every row key of one view version (glob characters are escaped). */
export function viewPattern(prefix: string, viewKey: string): string {
  return `${glob(viewRowsPrefix(prefix, viewKey))}*`;
}

/** The keys of the layout before shards (`<prefix>:{<view>@<version>}:<id>`), pruned once met. */
export function unshardedViewPattern(prefix: string, viewKey: string): string {
  return `${glob(`${prefix}:{${viewKey}}:`)}*`;
}

type Packed = { t: string; v: Record<string, unknown> };

/** One JSON string per row: one MGET reads a batch, and one JSON.parse decodes a row. */
export function packRow(row: OnlineRow): string {
  const packed: Packed = { t: row.eventTimestamp, v: row.values };
  return JSON.stringify(packed);
}

export function unpackRow(id: string, text: string): OnlineRow {
  const packed = JSON.parse(text) as Packed;
  return { id, values: packed.v, eventTimestamp: packed.t };
}
