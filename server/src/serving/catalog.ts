import type { Sql } from "../db/database";
import type { Logger } from "../log/logger";
import {
  type EmbeddingInfo,
  type EntityInfo,
  type FeatureInfo,
  type FeatureServiceInfo,
  listEmbeddings,
  listEntities,
  listFeatureServices,
  listViews,
  type ViewVersion,
} from "../registry";

export type CatalogView = ViewVersion & {
  /** `name@version`, the online store's view key. */
  viewKey: string;
  featureByName: Map<string, FeatureInfo>;
  /** When the version was last changed in the registry: for a deprecated one, when it was deprecated. */
  updatedAt: Date;
};

/** What the serving path needs from the registry, loaded at once and shared by every request. */
export type CatalogState = {
  /** Increases with every reload; resolutions memoized under an older generation are dropped. */
  generation: number;
  entities: Map<string, EntityInfo>;
  /** name → version → view version (retired ones included, so they can answer 410). */
  views: Map<string, Map<number, CatalogView>>;
  byKey: Map<string, CatalogView>;
  services: Map<string, FeatureServiceInfo>;
  /** name → versions in ascending order. */
  embeddings: Map<string, EmbeddingInfo[]>;
};

export type ServingCatalogOptions = {
  logger: Logger;
  /** Called with every state loaded (e.g. to export each view version's freshness). */
  onLoad?: (state: CatalogState) => void;
  /** How often a request may trigger the cheap check for applied changes (default 5 s). */
  refreshMs?: number;
  now?: () => number;
};

// Any apply that adds or changes a definition moves a count or an updated_at; a materialization
// (by this process or another) moves last_materialized_at.
const FINGERPRINT = `select concat_ws('|',
  (select count(*) || ':' || coalesce(max(updated_at)::text, '') from rapfs_entities),
  (select count(*) || ':' || coalesce(max(updated_at)::text, '') || ':' || coalesce(max(last_materialized_at)::text, '')
   from rapfs_feature_views),
  (select count(*) || ':' || coalesce(max(updated_at)::text, '') from rapfs_feature_services),
  (select count(*) || ':' || coalesce(max(updated_at)::text, '') || ':' || coalesce(max(last_materialized_at)::text, '')
   from rapfs_embeddings)) as fingerprint`;

/**
 * The registry, cached in-process. A request older than `refreshMs` since the last check
 * starts a fingerprint query in the background (never on the request's path); a changed
 * fingerprint reloads the state. `invalidate()` forces a reload before the next answer,
 * for the process that applied the definitions itself.
 */
export class ServingCatalog {
  private loaded: CatalogState | undefined;
  private loading: Promise<CatalogState> | undefined;
  private checking = false;
  private fingerprint = "";
  private lastCheck = 0;
  private generation = 0;
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(
    private readonly sql: Sql,
    private readonly options: ServingCatalogOptions,
  ) {
    this.refreshMs = options.refreshMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  async current(): Promise<CatalogState> {
    return this.loadedNow() ?? this.reload();
  }

  /** The state loaded now, if any, without waiting; like `current()`, starts the periodic check when due. */
  loadedNow(): CatalogState | undefined {
    const loaded = this.loaded;
    if (loaded && !this.checking && this.now() - this.lastCheck >= this.refreshMs) void this.check();
    return loaded;
  }

  /** The next `current()` waits for a fresh load: what a process that applied definitions needs. */
  invalidate(): void {
    this.loaded = undefined;
  }

  /**
   * Reloads in the background, answering from the state loaded before until it is done: what a
   * materialization run changes (watermarks, statistics) is not worth a request's wait for six
   * registry queries, queued on the embedded database behind the run's neighbours.
   */
  refresh(): void {
    if (!this.loaded) return;
    void this.reload().catch((error: unknown) => {
      this.options.logger.warn("registry reload failed; serving the cached catalog", {
        error: (error as Error).message,
      });
    });
  }

  private reload(): Promise<CatalogState> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async check(): Promise<void> {
    this.checking = true;
    this.lastCheck = this.now();
    try {
      const [row] = await this.sql.unsafe<{ fingerprint: string }[]>(FINGERPRINT);
      if (row && row.fingerprint !== this.fingerprint) await this.reload();
    } catch (error) {
      this.options.logger.warn("registry check failed; serving the cached catalog", {
        error: (error as Error).message,
      });
    } finally {
      this.checking = false;
    }
  }

  private async load(): Promise<CatalogState> {
    const [[row], entities, views, updated, services, embeddings] = await Promise.all([
      this.sql.unsafe<{ fingerprint: string }[]>(FINGERPRINT),
      listEntities(this.sql),
      listViews(this.sql),
      this.sql<{ name: string; version: number; updated_at: Date }[]>`
        select name, version, updated_at from rapfs_feature_views`,
      listFeatureServices(this.sql),
      listEmbeddings(this.sql),
    ]);
    const updatedAt = new Map(updated.map((u) => [`${u.name}@${u.version}`, u.updated_at]));
    const state: CatalogState = {
      generation: ++this.generation,
      entities: new Map(entities.map((e) => [e.name, e])),
      views: new Map(),
      byKey: new Map(),
      services: new Map(services.map((s) => [s.name, s])),
      embeddings: new Map(),
    };
    for (const view of views) {
      const viewKey = `${view.name}@${view.version}`;
      const entry: CatalogView = {
        ...view,
        viewKey,
        featureByName: new Map(view.features.map((f) => [f.name, f])),
        updatedAt: updatedAt.get(viewKey) ?? new Date(0),
      };
      const versions = state.views.get(view.name) ?? new Map<number, CatalogView>();
      versions.set(view.version, entry);
      state.views.set(view.name, versions);
      state.byKey.set(viewKey, entry);
    }
    for (const embedding of embeddings) {
      state.embeddings.set(embedding.name, [...(state.embeddings.get(embedding.name) ?? []), embedding]);
    }
    this.fingerprint = row?.fingerprint ?? "";
    this.lastCheck = this.now();
    this.loaded = state;
    this.options.onLoad?.(state);
    return state;
  }
}

/** The highest version that is not retired; what `view:feature` means. */
export function latestVersion(versions: Map<number, CatalogView>): CatalogView | undefined {
  let latest: CatalogView | undefined;
  for (const view of versions.values()) {
    if (view.status !== "retired" && (!latest || view.version > latest.version)) latest = view;
  }
  return latest;
}
