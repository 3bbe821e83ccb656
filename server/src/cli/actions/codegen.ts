import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { loadConfig } from "../../config/env";
import { type Catalog, resolveCatalogRefs } from "../../definitions/definition-set";
import { DefinitionError } from "../../definitions/errors";
import { loadDefinitions } from "../../definitions/load";
import { plural } from "../../errors";
import { CliError } from "../run";

// The generator ships in the SDK (`npx @rapfs/sdk codegen --url …`); this command adds the
// offline source, the definitions themselves. Loaded when run: the server needs none of it.
type RegistryModel = import("@rapfs/sdk").RegistryModel;
const sdk = () => import("@rapfs/sdk");

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

export type CodegenOptions = { out: string; dir?: string; url?: string; apiKey?: string };

/** `rapfs codegen`: the registry's types, from a running server or from the definitions. */
export async function writeRegistryTypes(opts: CodegenOptions): Promise<void> {
  let model: RegistryModel;
  let source: string;
  const { modelFromServer, RapFS, renderRegistryTypes } = await sdk();
  if (opts.url) {
    const client = new RapFS({
      baseURL: opts.url,
      apiKey: opts.apiKey ?? process.env.RAPFS_API_KEY ?? null,
    });
    model = await modelFromServer(client).catch((error: unknown) => {
      throw new CliError(`reading ${opts.url}'s registry: ${(error as Error).message}`);
    });
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
}
