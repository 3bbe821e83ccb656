import type { OnlineRow } from "./types";

const VIEW_KEY = /^[a-z][a-z0-9_]{0,62}@[1-9][0-9]{0,8}$/;
const PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;

export class InvalidViewKeyError extends Error {
  override name = "InvalidViewKeyError";
}

/** Refuses anything but `name@version`, so a view key can never break out of its hash tag. */
export function assertViewKey(viewKey: string): void {
  if (!VIEW_KEY.test(viewKey)) {
    throw new InvalidViewKeyError(`"${viewKey}" is not a view key of the form name@version`);
  }
}

export function assertKeyPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) throw new InvalidViewKeyError(`"${prefix}" is not a valid key prefix`);
}

/**
 * `<prefix>:{<view>@<version>}:<id>`. The hash tag is the view version, so in Redis Cluster all
 * rows of one version share a slot and a batch read stays one MGET on one node; the deployment
 * prefix keeps several deployments apart in one Redis.
 */
export function rowKey(prefix: string, viewKey: string, id: string): string {
  return `${prefix}:{${viewKey}}:${id}`;
}

/** What every row key of a deployment starts with (and nothing else of it does). */
export function rowKeysPrefix(prefix: string): string {
  return `${prefix}:{`;
}

/** A SCAN pattern matching every row key of one view version (glob characters are escaped). */
export function viewPattern(prefix: string, viewKey: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, "\\$&")}:\\{${viewKey}\\}:*`;
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
