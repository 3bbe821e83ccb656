import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../../config/env";
import { type Catalog, resolveCatalogRefs } from "../../definitions/definition-set";
import { DefinitionError } from "../../definitions/errors";
import { loadDefinitions } from "../../definitions/load";
import type { FeatureType } from "../../definitions/schema";
import { plural } from "../../errors";
import { CliError } from "../run";

/** What codegen needs of a registry: the fields of the /v1/registry answers, nothing more. */
export type RegistryModel = {
  entities: {
    name: string;
    key_type: "int" | "string";
    description: string;
    /** Related entities by relation name (a server before relations sends none). */
    relations?: Record<string, { entity: string }>;
  }[];
  views: {
    name: string;
    version: number;
    entity: string;
    status: "active" | "deprecated" | "retired";
    is_latest: boolean;
    features: { name: string; type: string; description: string }[];
  }[];
  services: { name: string; entity: string; description: string; features: string[] }[];
  embeddings: { name: string; version: number; entity: string; status: string; dimension: number }[];
  datasets: { name: string; entity: string; description: string }[];
};

const TS_TYPES: Record<FeatureType, string> = {
  bool: "boolean",
  int: "number",
  float: "number",
  string: "string",
  "string[]": "string[]",
  "float[]": "number[]",
  timestamp: "string",
  json: "unknown",
};

/** The registry as the definitions in `dir` describe it, without a database. */
export async function modelFromDefinitions(dir: string): Promise<RegistryModel> {
  return modelOf(await loadDefinitions(dir));
}

export function modelOf(catalog: Catalog): RegistryModel {
  const views = catalog.views.map((v) => v.def);
  const latest = new Map<string, number>();
  for (const v of views) {
    if (v.status !== "retired") latest.set(v.name, Math.max(latest.get(v.name) ?? 0, v.version));
  }
  return {
    entities: catalog.entities.map(({ def }) => ({
      name: def.name,
      key_type: def.key.type,
      description: def.description,
      relations: def.relations,
    })),
    views: views.map((v) => ({
      name: v.name,
      version: v.version,
      entity: v.entity,
      status: v.status,
      is_latest: latest.get(v.name) === v.version,
      features: v.features.map((f) => ({ name: f.name, type: f.type, description: f.description })),
    })),
    services: catalog.services.map(({ def }) => ({
      name: def.name,
      entity: def.entity,
      description: def.description,
      features: resolveCatalogRefs(catalog, def.features, def.entity).map((f) => f.ref),
    })),
    embeddings: catalog.embeddings.map(({ def }) => ({
      name: def.name,
      version: def.version,
      entity: def.entity,
      status: def.status,
      dimension: def.dimension,
    })),
    datasets: catalog.datasets.map(({ def }) => ({
      name: def.name,
      entity: def.entity,
      description: def.description,
    })),
  };
}

/** The registry a running server serves (any key with read access will do). */
export async function modelFromServer(url: string, apiKey: string | undefined): Promise<RegistryModel> {
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(new URL(path, url.endsWith("/") ? url : `${url}/`), {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    });
    if (!response.ok) throw new CliError(`GET ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  const [entities, views, services, embeddings, datasets] = await Promise.all([
    get<{ entities: RegistryModel["entities"] }>("v1/registry/entities"),
    get<{ views: RegistryModel["views"] }>("v1/registry/views"),
    get<{ services: RegistryModel["services"] }>("v1/registry/services"),
    get<{ embeddings: RegistryModel["embeddings"] }>("v1/registry/embeddings"),
    get<{ datasets: RegistryModel["datasets"] }>("v1/registry/datasets"),
  ]);
  return {
    entities: entities.entities,
    views: views.views,
    services: services.services,
    embeddings: embeddings.embeddings,
    datasets: datasets.datasets,
  };
}

const q = (text: string) => JSON.stringify(text);
const doc = (text: string, deprecated?: string) => {
  const lines = [text.trim().replace(/\*\//g, "*\\/"), ...(deprecated ? [`@deprecated ${deprecated}`] : [])];
  return `/** ${lines.join(" ")} */`;
};
const union = (items: string[]) => (items.length === 0 ? "never" : items.map(q).join(" | "));

/**
 * A declaration file that fills in the SDK's `RapFSRegistry`, so entity ids, feature references,
 * service, embedding and dataset names are checked by the compiler and values are typed.
 * Retired versions are left out: the server no longer serves them.
 */
export function renderRegistryTypes(registry: RegistryModel, source: string): string {
  const model = sorted(registry);
  const served = model.views.filter((v) => v.status !== "retired");
  const out: string[] = [
    `// Generated by \`rapfs codegen\` from ${source}; do not edit. Regenerate when definitions change.`,
    `import "@rapfs/sdk";`,
    "",
    `declare module "@rapfs/sdk" {`,
    "  interface RapFSRegistry {",
    "    entities: {",
  ];
  for (const e of model.entities) {
    out.push(
      `      ${doc(e.description)}`,
      `      ${q(e.name)}: { id: ${e.key_type === "int" ? "number" : "string"} };`,
    );
  }
  out.push("    };", "    features: {");
  for (const entity of model.entities) {
    out.push(`      ${q(entity.name)}: {`);
    for (const { v, via } of reachable(entity, served)) {
      const note = v.status === "deprecated" ? `${v.name}@${v.version} is deprecated.` : undefined;
      const through = via ? ` Through relation ${via.name}, the ${v.entity}'s.` : "";
      for (const f of v.features) {
        const type = TS_TYPES[f.type as FeatureType] ?? "unknown";
        out.push(`        ${doc(`${f.description} (${f.type})${through}`, note)}`);
        out.push(`        ${q(`${via?.prefix ?? ""}${v.name}@${v.version}:${f.name}`)}: ${type};`);
      }
    }
    out.push("      };");
  }
  out.push("    };", "    refs: {");
  for (const entity of model.entities) {
    out.push(`      ${q(entity.name)}: {`);
    for (const { v, via } of reachable(entity, served)) {
      const canonical = v.features.map((f) => `${via?.prefix ?? ""}${v.name}@${v.version}:${f.name}`);
      // A related view is also written without its relation when that is the only one reaching its entity.
      const heads = via ? [via.prefix, ...(via.implicit ? [""] : [])] : [""];
      const names = heads.flatMap((head) =>
        v.is_latest
          ? [`${head}${v.name}@${v.version}`, `${head}${v.name}`]
          : [`${head}${v.name}@${v.version}`],
      );
      for (const prefix of names) {
        v.features.forEach((f, i) => {
          out.push(`        ${q(`${prefix}:${f.name}`)}: ${q(canonical[i] as string)};`);
        });
        out.push(`        ${q(`${prefix}:*`)}: ${union(canonical)};`);
      }
    }
    out.push("      };");
  }
  out.push("    };", "    services: {");
  for (const s of model.services) {
    out.push(`      ${doc(s.description)}`);
    out.push(`      ${q(s.name)}: { entity: ${q(s.entity)}; features: ${union(s.features)} };`);
  }
  out.push("    };", "    embeddings: {");
  const embeddings = model.embeddings.filter((e) => e.status !== "retired");
  const newest = new Map<string, number>();
  for (const e of embeddings) newest.set(e.name, Math.max(newest.get(e.name) ?? 0, e.version));
  for (const e of embeddings) {
    const shape = `{ entity: ${q(e.entity)}; dimension: ${e.dimension} }`;
    if (newest.get(e.name) === e.version) out.push(`      ${q(e.name)}: ${shape};`);
    out.push(`      ${q(`${e.name}@${e.version}`)}: ${shape};`);
  }
  out.push("    };", "    datasets: {");
  for (const d of model.datasets)
    out.push(`      ${doc(d.description)}`, `      ${q(d.name)}: { entity: ${q(d.entity)} };`);
  out.push("    };", "  }", "}", "");
  return out.join("\n");
}

type View = RegistryModel["views"][number];
type Via = { name: string; prefix: string; implicit: boolean };

/** The views an entity's references reach: its own, then each relation's entity's (one hop). */
function reachable(entity: RegistryModel["entities"][number], views: View[]): { v: View; via?: Via }[] {
  const own = views.filter((v) => v.entity === entity.name).map((v) => ({ v }));
  const relations = Object.entries(entity.relations ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const related = relations.flatMap(([name, relation]) => {
    const implicit =
      relation.entity !== entity.name &&
      relations.filter(([, r]) => r.entity === relation.entity).length === 1;
    const via = { name, prefix: `${name}.`, implicit };
    return views.filter((v) => v.entity === relation.entity).map((v) => ({ v, via }));
  });
  return [...own, ...related];
}

/** Name order (then version), so the file is the same whichever source listed things first. */
function sorted(model: RegistryModel): RegistryModel {
  const byName = <T extends { name: string; version?: number }>(items: T[]) =>
    [...items].sort((a, b) =>
      a.name === b.name ? (a.version ?? 0) - (b.version ?? 0) : a.name < b.name ? -1 : 1,
    );
  return {
    entities: byName(model.entities),
    views: byName(model.views),
    services: byName(model.services),
    embeddings: byName(model.embeddings),
    datasets: byName(model.datasets),
  };
}

export function registerCodegenCommand(program: Command): void {
  program
    .command("codegen")
    .description("write a .d.ts that types @rapfs/sdk with this registry's entities, features and services")
    .option("--out <file>", "where to write it", "rapfs.d.ts")
    .option("--dir <dir>", "definitions directory (default: RAPFS_DEFINITIONS_DIR or feature-definitions/)")
    .option("--url <url>", "read a running server's registry instead (key from --api-key or RAPFS_API_KEY)")
    .option("--api-key <key>", "API key for --url")
    .action(async (opts: { out: string; dir?: string; url?: string; apiKey?: string }) => {
      let model: RegistryModel;
      let source: string;
      if (opts.url) {
        model = await modelFromServer(opts.url, opts.apiKey ?? process.env.RAPFS_API_KEY);
        source = `the registry of ${new URL(opts.url).origin}`;
      } else {
        const dir = opts.dir ?? loadConfig().definitionsDir;
        model = await modelFromDefinitions(dir).catch((error: unknown) => {
          throw error instanceof DefinitionError ? new CliError(error.message) : error;
        });
        source = "the feature definitions";
      }
      const out = resolve(opts.out);
      await writeFile(out, renderRegistryTypes(model, source));
      const features = model.views.reduce((n, v) => n + (v.status === "retired" ? 0 : v.features.length), 0);
      process.stdout.write(
        `Wrote ${out}: ${plural(model.entities.length, "entity", "entities")}, ${plural(features, "feature")}, ` +
          `${plural(model.services.length, "service")}.\n`,
      );
    });
}
