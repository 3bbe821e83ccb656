import type { ReadRouter } from "../db/replica";
import type { FallbackLoader, OnlineRow } from "../online/types";
import type { ServingCatalog } from "./catalog";
import { readViewRows } from "./view-rows";

/**
 * The online store's source of truth: the view version's table, one query per view batch, on
 * the replica while it answers. A view key the catalog does not know has no rows.
 */
export function createPostgresFallback(
  catalog: ServingCatalog,
  reads: Pick<ReadRouter, "run">,
): FallbackLoader {
  return async (viewKey, ids) => {
    const view = (await catalog.current()).byKey.get(viewKey);
    const found = new Map<string, OnlineRow>();
    if (!view || ids.length === 0) return found;
    for (const row of await reads.run((sql) => readViewRows(sql, view, ids))) found.set(row.id, row);
    return found;
  };
}
