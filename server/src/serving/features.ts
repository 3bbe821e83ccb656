import type { OnlineRow, OnlineStore, RowsWatch, WatchedRow } from "../online/types";
import type { CatalogState, ServingCatalog } from "./catalog";
import { entityOf, type ParsedId } from "./ids";
import { SYNC_MARKER_ID } from "./online-sync/sync";
import {
  type RelationPlan,
  type Resolution,
  resolveSelection,
  type Selection,
  type ViewPlan,
} from "./resolve";

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
  /** The memo each resolution was made under, for `watch`. */
  private readonly made = new WeakMap<Resolution, Memo>();
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

  current(): Promise<CatalogState> {
    return this.catalog.current();
  }

  /** Unknown entity → 404; unknown references → 400 with suggestions; retired or sunset → 410. */
  async resolve(entityName: string, selection: Selection): Promise<Resolution> {
    const state = await this.catalog.current();
    const key = memoKey(entityName, selection);
    const now = this.now();
    const hit = this.memo.get(key);
    if (hit && hit.generation === state.generation && now - hit.at < this.memoMs) return hit.resolution;
    const entity = entityOf(state, entityName);
    const resolution = resolveSelection(state, entity, selection, now);
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    const memo = { generation: state.generation, at: now, resolution };
    this.memo.set(key, memo);
    this.made.set(resolution, memo);
    return resolution;
  }

  /**
   * A watch over what `read` answered: `reread` is true (and counts as the read it stands for)
   * while the same lookup would find the same, its resolution still the one `resolve` gives (the
   * same catalog, not older than the memo's bound) and every row unchanged in the store.
   * Undefined when that cannot be told: an id without a row (absence is not watched), a store
   * that would not hear of a change.
   */
  watch(table: FeatureTable): RowsWatch | undefined {
    const made = this.made.get(table.resolution);
    if (!made) return undefined;
    const rows: WatchedRow[] = [];
    for (let v = 0; v < table.resolution.views.length; v++) {
      const { viewKey } = (table.resolution.views[v] as ViewPlan).view;
      for (const row of table.rows[v] ?? []) {
        if (!row) return undefined;
        rows.push({ viewKey, row });
      }
    }
    const watch = this.store.watch(rows);
    if (!watch) return undefined;
    return {
      reread: () =>
        this.catalog.loadedNow()?.generation === made.generation &&
        this.now() - made.at < this.memoMs &&
        watch.reread(),
    };
  }

  /**
   * One round trip for the entity's own views (and the key views of the relations asked through);
   * a second, only when related entities' features are asked, for all of them at once by the
   * distinct keys found: never a read per id.
   */
  async read(resolution: Resolution, ids: readonly ParsedId[]): Promise<FeatureTable> {
    const keys = ids.map((id) => id.key);
    if (!resolution.views.some((plan) => plan.via)) {
      const found = await this.store.readMany(
        resolution.views.map((plan) => ({ viewKey: plan.view.viewKey, ids: keys })),
      );
      return { resolution, ids: [...ids], rows: found.map((byId) => rowsOf(byId, keys)) };
    }
    const first = [
      ...new Set(resolution.views.map((plan) => (plan.via ? plan.via.keyView : plan.view).viewKey)),
    ];
    const found = await this.store.readMany(first.map((viewKey) => ({ viewKey, ids: keys })));
    const byView = new Map(first.map((viewKey, i) => [viewKey, found[i]]));
    const related = resolution.views.filter((plan) => plan.via);
    const relatedKeys = related.map((plan) => relatedKeysOf(plan.via as RelationPlan, byView, keys));
    const relatedFound = await this.store.readMany(
      related.map((plan, r) => ({ viewKey: plan.view.viewKey, ids: distinct(relatedKeys[r] ?? []) })),
    );
    const rows = resolution.views.map((plan) => {
      const r = related.indexOf(plan);
      return r < 0
        ? rowsOf(byView.get(plan.view.viewKey), keys)
        : rowsOf(relatedFound[r], relatedKeys[r] ?? []);
    });
    return { resolution, ids: [...ids], rows };
  }
}

const rowsOf = (byId: Map<string, OnlineRow> | undefined, keys: readonly (string | undefined)[]) =>
  keys.map((key) => (key === undefined || key === SYNC_MARKER_ID ? undefined : byId?.get(key)));

/** Per id, the related entity's key its relation's key feature holds (undefined when it holds none). */
function relatedKeysOf(
  via: RelationPlan,
  byView: Map<string, Map<string, OnlineRow> | undefined>,
  keys: readonly string[],
): (string | undefined)[] {
  const rows = byView.get(via.keyView.viewKey);
  return keys.map((key) => {
    const value = rows?.get(key)?.values[via.keyFeature];
    return value === null || value === undefined ? undefined : String(value);
  });
}

function distinct(keys: readonly (string | undefined)[]): string[] {
  return [...new Set(keys.filter((k): k is string => k !== undefined))];
}

function memoKey(entity: string, selection: Selection): string {
  const what =
    "service" in selection ? `s\u0000${selection.service}` : `f\u0000${selection.features.join("\u0000")}`;
  return `${entity}\u0000${selection.in}\u0000${selection.field}\u0000${what}`;
}
