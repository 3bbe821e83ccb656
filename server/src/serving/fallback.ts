import type { Sql } from "../db/database";
import type { ReadRouter } from "../db/replica";
import type { FallbackLoader, OnlineRow } from "../online/types";
import type { ServingCatalog } from "./catalog";
import { readViewRows } from "./view-rows";

/** Misses of at least this many ids are a wide read; it goes this many ids a statement. */
export const WIDE_READ_IDS = 32;

/**
 * The online store's source of truth: the view version's table, one query per view batch, on
 * the replica while it answers. A view key the catalog does not know has no rows.
 *
 * With `wideReads`, misses of WIDE_READ_IDS or more go there instead, a statement per
 * WIDE_READ_IDS: on the embedded database's one backend, a free key's 1,000-id batch of every
 * view was eight statements of a thousand ids queued ahead of a bystander's lookup.
 */
export function createPostgresFallback(
  catalog: ServingCatalog,
  reads: Pick<ReadRouter, "run">,
  wideReads?: Sql,
): FallbackLoader {
  return async (viewKey, ids) => {
    const view = (await catalog.current()).byKey.get(viewKey);
    const found = new Map<string, OnlineRow>();
    if (!view || ids.length === 0) return found;
    if (wideReads && ids.length >= WIDE_READ_IDS) {
      for (let at = 0; at < ids.length; at += WIDE_READ_IDS)
        for (const row of await readViewRows(wideReads, view, ids.slice(at, at + WIDE_READ_IDS)))
          found.set(row.id, row);
      return found;
    }
    for (const row of await reads.run((sql) => readViewRows(sql, view, ids))) found.set(row.id, row);
    return found;
  };
}
