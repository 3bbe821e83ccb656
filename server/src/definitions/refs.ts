/** A parsed feature reference: `view@2:feature`, `view:feature` (latest version), `view@2:*`. */
export type FeatureRef = { view: string; version: number | "latest"; feature: string | "*" };

const REF = /^([a-z][a-z0-9_]*)(?:@([1-9][0-9]*))?:([a-z][a-z0-9_]*|\*)$/;

export function parseFeatureRef(ref: string): FeatureRef | undefined {
  const match = REF.exec(ref.trim());
  if (!match) return undefined;
  const [, view, version, feature] = match;
  if (!view || !feature) return undefined;
  return { view, version: version ? Number(version) : "latest", feature };
}

export function formatFeatureRef(ref: FeatureRef): string {
  return `${ref.view}${ref.version === "latest" ? "" : `@${ref.version}`}:${ref.feature}`;
}

/** What a reference resolves to: one concrete version and feature. */
export type ResolvedFeature = { view: string; version: number; feature: string; ref: string };

export type ViewCatalog = Map<string, Map<number, { features: string[]; status: string }>>;

/**
 * Resolves references against the views on offer. "latest" means the highest version that is
 * not retired, so a new version is picked up by unpinned references as soon as it is applied.
 */
export function resolveRefs(
  refs: string[],
  views: ViewCatalog,
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
    const features = parsed.feature === "*" ? view.features : [parsed.feature];
    for (const feature of features) {
      if (!view.features.includes(feature)) {
        errors.push({ ref, message: `${parsed.view}@${version} has no feature ${feature}` });
        continue;
      }
      const key = `${parsed.view}@${version}:${feature}`;
      if (seen.has(key)) continue;
      seen.add(key);
      resolved.push({ view: parsed.view, version, feature, ref: key });
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
