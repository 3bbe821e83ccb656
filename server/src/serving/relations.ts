import { parseFeatureRef } from "../definitions/refs";
import type { EntityInfo } from "../registry";
import type { CatalogState, CatalogView } from "./catalog";
import { isGone } from "./deprecation";

/** How a related entity's rows are found: the key feature of one of the entity's own views. */
export type RelationKey = { view: CatalogView; feature: string };

/** The applied view version and feature holding a relation's key (undefined when not applied). */
export function relationKeyOf(
  state: CatalogState,
  entity: EntityInfo,
  relation: string,
): RelationKey | undefined {
  const ref = parseFeatureRef(entity.relations[relation]?.key ?? "");
  const view = ref && state.byKey.get(`${ref.view}@${ref.version}`);
  if (!ref || !view?.featureByName.has(ref.feature)) return undefined;
  return { view, feature: ref.feature };
}

/** The key of a relation the resolver has accepted: its absence now is a bug, not a bad request. */
export function acceptedRelationKey(state: CatalogState, entity: EntityInfo, relation: string): RelationKey {
  const key = relationKeyOf(state, entity, relation);
  if (!key) throw new Error(`relation ${entity.name}.${relation} lost its key view`);
  return key;
}

/** Why a relation's key cannot be read now, if it cannot. */
export function relationKeyProblem(
  state: CatalogState,
  entity: EntityInfo,
  relation: string,
  now: number,
): string | undefined {
  const declared = entity.relations[relation]?.key;
  const key = relationKeyOf(state, entity, relation);
  if (!key)
    return `Relation ${relation} of ${entity.name} reads its key from ${declared}, which is not applied.`;
  if (isGone(key.view, now)) {
    return `Relation ${relation} of ${entity.name} reads its key from ${declared}, whose version is no longer served.`;
  }
  return undefined;
}
