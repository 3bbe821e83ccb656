import type { OnlineRow, OnlineStore } from "../online/types";
import { readViews } from "../online/types";
import type { CatalogSnapshot, ServingCatalog } from "./catalog";
import { entityOf, type ParsedId } from "./ids";
import { type Resolution, resolveSelection, type Selection } from "./resolve";
import { SYNC_MARKER_ID } from "./sync";

/** The rows read for a batch: `rows[v][i]` is view plan v's row for `ids[i]`, if it has one. */
export type FeatureTable = {
  resolution: Resolution;
  ids: ParsedId[];
  rows: (OnlineRow | undefined)[][];
};

export type FeatureServerOptions = {
  now?: () => number;
  /** How long a memoized resolution is reused within one catalog generation (sunsets pass). */
  memoMs?: number;
};

type Memo = { generation: number; at: number; resolution: Resolution };
const MEMO_LIMIT = 1_000;

/**
 * Online feature lookups: resolves references against the cached catalog (memoized per
 * request shape, so a hot `service=` costs a map lookup) and reads every view version the
 * request needs from the online store in one round trip.
 */
export class FeatureServer {
  private readonly memo = new Map<string, Memo>();
  private readonly now: () => number;
  private readonly memoMs: number;

  constructor(
    private readonly catalog: ServingCatalog,
    private readonly store: OnlineStore,
    options: FeatureServerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.memoMs = options.memoMs ?? 60_000;
  }

  snapshot(): Promise<CatalogSnapshot> {
    return this.catalog.snapshot();
  }

  /** Unknown entity → 404; unknown references → 400 with suggestions; retired or sunset → 410. */
  async resolve(entityName: string, selection: Selection): Promise<Resolution> {
    const snapshot = await this.catalog.snapshot();
    const key = memoKey(entityName, selection);
    const now = this.now();
    const hit = this.memo.get(key);
    if (hit && hit.generation === snapshot.generation && now - hit.at < this.memoMs) return hit.resolution;
    const entity = entityOf(snapshot, entityName);
    const resolution = resolveSelection(snapshot, entity, selection, now);
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(key, { generation: snapshot.generation, at: now, resolution });
    return resolution;
  }

  async read(resolution: Resolution, ids: readonly ParsedId[]): Promise<FeatureTable> {
    const keys = ids.map((id) => id.key);
    const found = await readViews(
      this.store,
      resolution.views.map((plan) => ({ viewKey: plan.view.viewKey, ids: keys })),
    );
    const rows = found.map((byId) => keys.map((key) => (key === SYNC_MARKER_ID ? undefined : byId.get(key))));
    return { resolution, ids: [...ids], rows };
  }
}

function memoKey(entity: string, selection: Selection): string {
  const what =
    "service" in selection ? `s\u0000${selection.service}` : `f\u0000${selection.features.join("\u0000")}`;
  return `${entity}\u0000${selection.in}\u0000${selection.field}\u0000${what}`;
}
