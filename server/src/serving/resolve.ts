import { formatFeatureRef, parseFeatureRef, relationFor } from "../definitions/refs";
import type { FeatureType } from "../definitions/schema";
import { DomainError, type FieldError } from "../errors";
import type { EntityInfo } from "../registry";
import { type CatalogState, type CatalogView, latestVersion } from "./catalog";
import { deprecationHeaders, isGone } from "./deprecation";
import { acceptedRelationKey, relationKeyProblem } from "./relations";
import { closeMatches } from "./suggest";

export type ResolvedColumn = {
  /** Canonical `view@version:feature`: the key of the value in every response. */
  ref: string;
  view: string;
  version: number;
  feature: string;
  type: FeatureType;
  viewKey: string;
  /** The relation of the entity the value is read through (a track's `artist`), if any. */
  relation?: string;
  /** The view plan it is read by: the view key, or `relation.viewKey` for a related entity's view. */
  planKey: string;
};

/** How a related entity's rows are found: the key feature of the entity's own view. */
export type RelationPlan = { relation: string; keyView: CatalogView; keyFeature: string };

function relationPlan(state: CatalogState, entity: EntityInfo, relation: string): RelationPlan {
  const key = acceptedRelationKey(state, entity, relation);
  return { relation, keyView: key.view, keyFeature: key.feature };
}

export type ViewPlan = { planKey: string; view: CatalogView; columns: ResolvedColumn[]; via?: RelationPlan };

export type Resolution = {
  entity: EntityInfo;
  columns: ResolvedColumn[];
  /** The view versions to read, each with its columns, in first-requested order. */
  views: ViewPlan[];
  /** Deprecated versions among them, and the Deprecation/Sunset/Link headers announcing them. */
  deprecated: CatalogView[];
  headers: Record<string, string>;
  service?: string;
};

/** Where the selection came from, for the field paths of problems. */
export type SelectionSource = { in: FieldError["in"]; field: string };
export type Selection = ({ features: string[] } | { service: string }) & SelectionSource;

/** A reference that cannot be served: why, whether it is gone for good (410), and what may be meant. */
export type ReferenceProblem = {
  ref: string;
  /** Its place in the list it came from. */
  index: number;
  detail: string;
  gone: boolean;
  suggestions: string[];
};

type Problem = Omit<ReferenceProblem, "index"> & { index?: number };

/** Resolves a features list or a feature service for one entity; every bad reference in one 4xx. */
export function resolveSelection(
  state: CatalogState,
  entity: EntityInfo,
  selection: Selection,
  now: number,
): Resolution {
  let refs: string[];
  let service: string | undefined;
  if ("service" in selection) {
    const found = state.services.get(selection.service);
    if (!found || found.entity !== entity.name) {
      const names = [...state.services.values()].filter((s) => s.entity === entity.name).map((s) => s.name);
      const detail = found
        ? `Feature service ${selection.service} serves entity ${found.entity}, not ${entity.name}.`
        : `There is no feature service ${selection.service}.`;
      throw unknown(
        [
          {
            ref: selection.service,
            detail,
            gone: false,
            suggestions: closeMatches(selection.service, names),
          },
        ],
        selection,
      );
    }
    refs = found.featureRefs;
    service = found.name;
  } else {
    refs = selection.features;
  }

  const { columns, problems } = resolveReferences(state, entity, refs, now);
  if (problems.length > 0) {
    // A service's references are its own, not the caller's list: no index to point at.
    throw unknown(service ? problems.map(({ index: _, ...rest }) => rest) : problems, selection);
  }

  const views = new Map<string, ViewPlan>();
  for (const column of columns) {
    const view = state.byKey.get(column.viewKey) as CatalogView;
    const via = column.relation ? relationPlan(state, entity, column.relation) : undefined;
    const plan = views.get(column.planKey) ?? {
      planKey: column.planKey,
      view,
      columns: [],
      ...(via ? { via } : {}),
    };
    plan.columns.push(column);
    views.set(column.planKey, plan);
  }
  const plans = [...views.values()];
  const deprecated = plans.filter((p) => p.view.status === "deprecated").map((p) => p.view);
  return {
    entity,
    columns,
    views: plans,
    deprecated,
    headers: deprecationHeaders(deprecated, state),
    ...(service ? { service } : {}),
  };
}

/**
 * The one resolver of feature references, for online lookups and datasets alike: `view@2:f`,
 * `view:f` (the latest version not retired), `view@2:*`, for one entity, with a version past its
 * sunset treated as gone. Columns come once each, in first-requested order; every problem is
 * returned with its suggestions, so a caller shows them all at once.
 */
export function resolveReferences(
  state: CatalogState,
  entity: EntityInfo,
  refs: readonly string[],
  now: number,
): { columns: ResolvedColumn[]; problems: ReferenceProblem[] } {
  const problems: ReferenceProblem[] = [];
  const columns: ResolvedColumn[] = [];
  const seen = new Set<string>();
  refs.forEach((ref, index) => {
    // Suggestions for the first problems only: each costs edit distances against the catalog.
    const suggest = problems.length < MAX_SUGGESTED ? closeMatches : () => [];
    const resolved = resolveRef(state, entity, ref, now, suggest);
    if ("problem" in resolved) {
      problems.push({ ref, index, ...resolved.problem });
      return;
    }
    for (const column of resolved.columns) {
      if (seen.has(column.ref)) continue;
      seen.add(column.ref);
      columns.push(column);
    }
  });
  return { columns, problems };
}

const MAX_SUGGESTED = 20;

type RefResult = { columns: ResolvedColumn[] } | { problem: Omit<Problem, "ref" | "index"> };

function resolveRef(
  state: CatalogState,
  entity: EntityInfo,
  ref: string,
  now: number,
  suggest: typeof closeMatches,
): RefResult {
  const parsed = parseFeatureRef(ref);
  if (!parsed) {
    return {
      problem: {
        detail: `"${ref}" is not a feature reference (view@version:feature, view:feature or view@version:*).`,
        gone: false,
        suggestions: [],
      },
    };
  }
  const named = parsed.relation ? { relation: parsed.relation } : {};
  const as = (view: string, version: number | "latest", feature = parsed.feature) =>
    formatFeatureRef({ view, version, feature, ...named });
  const versions = state.views.get(parsed.view);
  if (!versions) {
    const reachable = new Set([entity.name, ...Object.values(entity.relations).map((r) => r.entity)]);
    const names = [...state.views.values()]
      .map((v) => latestVersion(v))
      .filter((v): v is CatalogView => v !== undefined && reachable.has(v.entity))
      .map((v) => v.name);
    return {
      problem: {
        detail: `There is no feature view ${parsed.view}.`,
        gone: false,
        suggestions: suggest(parsed.view, names).map((n) => as(n, parsed.version)),
      },
    };
  }
  const latest = latestVersion(versions);
  const view = parsed.version === "latest" ? latest : versions.get(parsed.version);
  if (!view) {
    const live = [...versions.values()].filter((v) => v.status !== "retired");
    return {
      problem: {
        detail:
          parsed.version === "latest"
            ? `Every version of feature view ${parsed.view} is retired.`
            : `Feature view ${parsed.view} has no version ${parsed.version}.`,
        gone: parsed.version === "latest",
        suggestions: live.map((v) => as(v.name, v.version)),
      },
    };
  }
  const via = relationFor({ entity: entity.name, relations: entity.relations }, view.entity, parsed.relation);
  if ("error" in via) {
    return { problem: { detail: `${ref} ${via.error}.`, gone: false, suggestions: [] } };
  }
  const keyProblem = via.relation && relationKeyProblem(state, entity, via.relation, now);
  if (keyProblem) return { problem: { detail: keyProblem, gone: false, suggestions: [] } };
  if (isGone(view, now)) {
    const when = view.status === "retired" ? "is retired" : `was sunset on ${view.sunsetDate}`;
    return {
      problem: {
        detail: `${view.viewKey} ${when}.`,
        gone: true,
        suggestions: latest && latest.version !== view.version ? [as(view.name, latest.version)] : [],
      },
    };
  }
  if (parsed.feature !== "*" && !view.featureByName.has(parsed.feature)) {
    const elsewhere = [...versions.values()]
      .filter((v) => v.status !== "retired" && v.featureByName.has(parsed.feature))
      .map((v) => as(v.name, v.version));
    return {
      problem: {
        detail: `Feature view ${view.viewKey} has no feature ${parsed.feature}.`,
        gone: false,
        suggestions: [
          ...suggest(parsed.feature, view.featureByName.keys()).map((f) => as(view.name, parsed.version, f)),
          ...elsewhere,
        ].slice(0, 5),
      },
    };
  }
  const features = parsed.feature === "*" ? view.features : [view.featureByName.get(parsed.feature)];
  const prefix = via.relation ? `${via.relation}.` : "";
  return {
    columns: features.map((f) => ({
      ref: `${prefix}${view.viewKey}:${f?.name}`,
      view: view.name,
      version: view.version,
      feature: f?.name as string,
      type: f?.type as FeatureType,
      viewKey: view.viewKey,
      planKey: `${prefix}${view.viewKey}`,
      ...(via.relation ? { relation: via.relation } : {}),
    })),
  };
}

function unknown(problems: Problem[], source: SelectionSource): DomainError {
  const errors: FieldError[] = problems.map((p) => {
    const path = p.index === undefined ? [source.field] : [source.field, p.index];
    return {
      in: source.in,
      path,
      pointer: `#/${path.join("/")}`,
      detail: p.detail,
      code: "unknown_reference",
    };
  });
  const suggestions = Object.fromEntries(problems.map((p) => [p.ref, p.suggestions]));
  const detail =
    problems.length === 1
      ? (problems[0] as Problem).detail
      : `${problems.length} references cannot be served.`;
  const gone = problems.every((p) => p.gone);
  return new DomainError(gone ? "GONE" : "UNKNOWN_FEATURE", detail, { errors, extensions: { suggestions } });
}
