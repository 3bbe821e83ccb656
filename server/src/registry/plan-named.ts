import type { Sql } from "../db/database";
import type { CompiledCatalog } from "../definitions/compile/index";

export type NamedChange = {
  action: "upsert";
  kind: "entity" | "feature_service" | "dataset";
  name: string;
  change: "create" | "update";
  changes: string[];
};

/** JSON with sorted keys: jsonb does not keep the key order it was given. */
export function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** Entities, services and datasets are rewritten as defined; this says which of them differ. */
export async function namedChanges(
  sql: Sql,
  catalog: CompiledCatalog,
): Promise<{ changes: NamedChange[]; unchanged: number }> {
  const registered = {
    entity: await sql`select name, key_column, key_type, description, relations from rapfs_entities`,
    feature_service: await sql`
      select name, entity, description, owner, tags, feature_refs from rapfs_feature_services`,
    dataset: await sql`
      select name, entity, description, license, public, owner, tags, features, filters from rapfs_datasets`,
  };
  const wanted: { kind: NamedChange["kind"]; name: string; fields: Record<string, unknown> }[] = [
    ...catalog.entities.map(({ def }) => ({
      kind: "entity" as const,
      name: def.name,
      fields: {
        key_column: def.key.column,
        key_type: def.key.type,
        description: def.description,
        relations: def.relations,
      },
    })),
    ...catalog.services.map(({ located: { def } }) => ({
      kind: "feature_service" as const,
      name: def.name,
      fields: {
        entity: def.entity,
        description: def.description,
        owner: def.owner ?? null,
        tags: def.tags,
        feature_refs: def.features,
      },
    })),
    ...catalog.datasets.map(({ located: { def }, compiled }) => ({
      kind: "dataset" as const,
      name: def.name,
      fields: {
        entity: def.entity,
        description: def.description,
        license: def.license,
        public: def.public,
        owner: def.owner ?? null,
        tags: def.tags,
        features: compiled.columns,
        filters: def.filters,
      },
    })),
  ];
  const changes: NamedChange[] = [];
  let unchanged = 0;
  for (const { kind, name, fields } of wanted) {
    const row = registered[kind].find((r) => r.name === name);
    if (!row) {
      changes.push({ action: "upsert", kind, name, change: "create", changes: [] });
      continue;
    }
    const differing = Object.keys(fields).filter((key) => canonical(fields[key]) !== canonical(row[key]));
    if (differing.length > 0)
      changes.push({ action: "upsert", kind, name, change: "update", changes: differing });
    else unchanged++;
  }
  return { changes, unchanged };
}
