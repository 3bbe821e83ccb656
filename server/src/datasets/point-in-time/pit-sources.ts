import { keyPgType } from "../../definitions/schema";
import type { DatasetPlan, Source } from "../plan/dataset-plan";

/** Whether a source is read through a point-in-time work table (a tracks column is read as is). */
export const readsPointInTime = (s: Source) => s.kind === "view" || s.materialized;

/** The columns a source contributes: what features and filters read from it, and relations' keys. */
export function fieldsOf(plan: DatasetPlan, source: Source): { field: string; pgType: string }[] {
  const fields = new Map<string, string>();
  for (const f of [...plan.features, ...plan.filters]) if (f.source === source) fields.set(f.field, f.pgType);
  for (const s of plan.sources) {
    if (s.kind === "view" && s.via?.keySource === source) fields.set(s.via.keyField, keyPgType(s.keyType));
  }
  return [...fields].map(([field, pgType]) => ({ field, pgType }));
}

/** The key column a source's work table holds: the entity's, or for a related view the related entity's. */
export function keyOf(plan: DatasetPlan, source: Source): { name: string; pgType: string } {
  if (source.kind === "view" && source.via) return { name: source.key, pgType: keyPgType(source.keyType) };
  return entityKeyOf(plan);
}

/** The entity's own key column: what its track sources' work tables and a training set's rows are keyed by. */
export function entityKeyOf(plan: DatasetPlan): { name: string; pgType: string } {
  return { name: plan.key.name, pgType: keyPgType(plan.entity.keyType) };
}
