/**
 * A parsed feature reference: `view@2:feature`, `view:feature` (latest version), `view@2:*`, each
 * optionally through a relation of the entity asked about (`artist.artist_stats@1:*`).
 */
export type FeatureRef = {
  view: string;
  version: number | "latest";
  feature: string | "*";
  relation?: string;
};

const REF = /^(?:([a-z][a-z0-9_]*)\.)?([a-z][a-z0-9_]*)(?:@([1-9][0-9]*))?:([a-z][a-z0-9_]*|\*)$/;

export function parseFeatureRef(ref: string): FeatureRef | undefined {
  const match = REF.exec(ref.trim());
  if (!match) return undefined;
  const [, relation, view, version, feature] = match;
  if (!view || !feature) return undefined;
  return { view, version: version ? Number(version) : "latest", feature, ...(relation ? { relation } : {}) };
}

export function formatFeatureRef(ref: FeatureRef): string {
  const via = ref.relation ? `${ref.relation}.` : "";
  return `${via}${ref.view}${ref.version === "latest" ? "" : `@${ref.version}`}:${ref.feature}`;
}

/** What a reference resolves to: one concrete version and feature (of a related entity, through `relation`). */
export type ResolvedFeature = {
  view: string;
  version: number;
  feature: string;
  ref: string;
  relation?: string;
};

export type ViewCatalog = Map<string, Map<number, { features: string[]; status: string; entity: string }>>;

/** The entity references are resolved for, and the relations it may reach other entities' views through. */
export type RefScope = { entity: string; relations: Readonly<Record<string, { entity: string }>> };

/**
 * Which relation (if any) a reference to a view of `viewEntity` goes through: the one named, or,
 * when none is named, the only relation reaching that entity. A view of the entity itself needs none.
 */
export function relationFor(
  scope: RefScope,
  viewEntity: string,
  named: string | undefined,
): { relation?: string } | { error: string } {
  if (named !== undefined) {
    const relation = scope.relations[named];
    if (!relation) {
      const known = Object.keys(scope.relations);
      const list = known.length ? `its relations are ${known.join(", ")}` : "it has no relations";
      return { error: `names relation ${named}, which entity ${scope.entity} does not have (${list})` };
    }
    if (relation.entity !== viewEntity) {
      return {
        error: `goes through relation ${named} to entity ${relation.entity}, but the view describes ${viewEntity}`,
      };
    }
    return { relation: named };
  }
  if (viewEntity === scope.entity) return {};
  const reaching = Object.entries(scope.relations)
    .filter(([, r]) => r.entity === viewEntity)
    .map(([n]) => n);
  if (reaching.length === 1) return { relation: reaching[0] as string };
  if (reaching.length === 0) {
    return { error: `belongs to entity ${viewEntity}, which entity ${scope.entity} has no relation to` };
  }
  return {
    error: `belongs to entity ${viewEntity}, reached through several relations (${reaching.join(", ")}): name one, as ${reaching[0]}.view@version:feature`,
  };
}

/**
 * Resolves references against the views on offer. "latest" means the highest version that is
 * not retired, so a new version is picked up by unpinned references as soon as it is applied.
 */
export function resolveRefs(
  refs: string[],
  views: ViewCatalog,
  scope?: RefScope,
): { resolved: ResolvedFeature[]; errors: { ref: string; message: string }[] } {
  const resolved: ResolvedFeature[] = [];
  const errors: { ref: string; message: string }[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const parsed = parseFeatureRef(ref);
    if (!parsed) {
      errors.push({
        ref,
        message: "is not a feature reference (view@version:feature, view:feature, view@2:*)",
      });
      continue;
    }
    const versions = views.get(parsed.view);
    if (!versions) {
      errors.push({ ref, message: `refers to unknown feature view ${parsed.view}` });
      continue;
    }
    const version =
      parsed.version === "latest"
        ? Math.max(...[...versions].filter(([, v]) => v.status !== "retired").map(([n]) => n))
        : parsed.version;
    const view = versions.get(version);
    if (!view) {
      errors.push({ ref, message: `refers to ${parsed.view}@${parsed.version}, which does not exist` });
      continue;
    }
    const via = scope
      ? relationFor(scope, view.entity, parsed.relation)
      : parsed.relation
        ? { relation: parsed.relation }
        : {};
    if ("error" in via) {
      errors.push({ ref, message: via.error });
      continue;
    }
    const features = parsed.feature === "*" ? view.features : [parsed.feature];
    for (const feature of features) {
      if (!view.features.includes(feature)) {
        errors.push({ ref, message: `${parsed.view}@${version} has no feature ${feature}` });
        continue;
      }
      const key = formatFeatureRef({ view: parsed.view, version, feature, ...via });
      if (seen.has(key)) continue;
      seen.add(key);
      resolved.push({ view: parsed.view, version, feature, ref: key, ...(via.relation ? via : {}) });
    }
  }
  return { resolved, errors };
}

/** A list of references as requests give them, comma-separated or repeated: trimmed, empties dropped. */
export function splitRefList(value: string | readonly string[]): string[] {
  return (typeof value === "string" ? [value] : value)
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
