type Schema = Record<string, unknown>;

const ANY_JSON = ["string", "number", "boolean", "object", "array", "null"];
const SCHEMA_LISTS = ["anyOf", "oneOf", "allOf", "prefixItems"];
const SCHEMA_MAPS = ["properties", "patternProperties"];
const SCHEMA_VALUES = ["items", "not", "contentSchema", "additionalProperties"];

const isSchema = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** integer is a number: ["integer", "number"] says no more than ["number"]. */
function normalized(types: Iterable<string>): string[] {
  const set = new Set(types);
  if (set.has("number")) set.delete("integer");
  return ANY_JSON.flatMap((type) => (type === "number" ? ["integer", "number"] : [type])).filter((type) =>
    set.has(type),
  );
}

/**
 * Gives every schema of an OpenAPI 3.1 document a `type`, the set of JSON types it admits (from
 * its anyOf/oneOf/allOf branches and $refs; all of them for `{}`). JSON Schema needs none, but
 * Scalar's document check (@scalar/workspace-store's strict schema) refuses a typeless schema
 * inside a component another component refers to: 11 "Expected union value" warnings, one per
 * such component. The added types restate what the branches say, so no instance changes validity.
 */
export function withExplicitTypes<D extends { components?: { schemas?: Record<string, unknown> } }>(
  document: D,
): D {
  const copy = structuredClone(document);
  const components = copy.components?.schemas ?? {};
  const resolving = new Set<string>();

  function typesOf(schema: Schema): string[] {
    if (typeof schema.$ref === "string") {
      const name = schema.$ref.replace("#/components/schemas/", "");
      const target = components[name];
      if (!isSchema(target) || resolving.has(name)) return ANY_JSON;
      resolving.add(name);
      try {
        return typesOf(target);
      } finally {
        resolving.delete(name);
      }
    }
    if (typeof schema.type === "string") return normalized([schema.type]);
    if (Array.isArray(schema.type)) return normalized(schema.type as string[]);
    const branches = (key: string) => (schema[key] as unknown[] | undefined)?.filter(isSchema) ?? [];
    const union = [...branches("anyOf"), ...branches("oneOf")];
    if (union.length > 0) return normalized(union.flatMap(typesOf));
    const all = branches("allOf");
    if (all.length > 0) {
      let types = ANY_JSON;
      for (const branch of all) {
        const admitted = new Set(typesOf(branch));
        types = types.filter((type) => admitted.has(type) || (type === "integer" && admitted.has("number")));
      }
      return normalized(types);
    }
    return ANY_JSON;
  }

  function visit(schema: unknown, inherited?: string[]): void {
    if (!isSchema(schema) || typeof schema.$ref === "string") return;
    if (schema.type === undefined) {
      const types = typesOf(schema);
      // A branch that only annotates (allOf: [{$ref}, {description}]) takes its parent's types.
      const own = types.length === ANY_JSON.length && inherited ? inherited : types;
      schema.type = own.length === 1 ? own[0] : own;
    }
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    for (const key of SCHEMA_LISTS) {
      for (const branch of (schema[key] as unknown[] | undefined) ?? [])
        visit(branch, key === "allOf" ? types : undefined);
    }
    for (const key of SCHEMA_MAPS)
      for (const value of Object.values((schema[key] as Schema) ?? {})) visit(value);
    for (const key of SCHEMA_VALUES) visit(schema[key]);
  }

  for (const schema of Object.values(components)) visit(schema);
  visitOperations(copy as unknown as Schema, (schema) => visit(schema));
  return copy;
}

/** Every schema an operation holds inline: parameters, bodies, responses and their headers. */
function visitOperations(document: Schema, visit: (schema: unknown) => void): void {
  const contentSchemas = (holder: unknown) => {
    if (!isSchema(holder)) return;
    visit(holder.schema);
    for (const media of Object.values((holder.content as Schema) ?? {}))
      if (isSchema(media)) visit(media.schema);
  };
  for (const item of Object.values((document.paths as Schema) ?? {})) {
    if (!isSchema(item)) continue;
    for (const operation of Object.values(item)) {
      if (!isSchema(operation)) continue;
      for (const parameter of (operation.parameters as unknown[]) ?? []) contentSchemas(parameter);
      contentSchemas(operation.requestBody);
      for (const response of Object.values((operation.responses as Schema) ?? {})) {
        contentSchemas(response);
        if (isSchema(response))
          for (const header of Object.values((response.headers as Schema) ?? {})) contentSchemas(header);
      }
    }
  }
}
