import { createRoute, z } from "@hono/zod-openapi";
import type { DatasetInfo } from "../../../usecases";
import type { App } from "../../env";
import { errorResponses } from "../../errors";

export const DatasetSchema = z
  .object({
    name: z.string().openapi({ example: "public" }),
    entity: z.string(),
    description: z.string(),
    license: z.string(),
    public: z.boolean().openapi({
      description:
        "Downloadable whole on every tier: a download of the dataset as defined spends downloads and bytes per day, not entity rows",
    }),
    owner: z.string().nullable(),
    tags: z.array(z.string()),
    columns: z.array(
      z.object({
        column: z.string().openapi({ example: "qwen_analysis__sentiment" }),
        ref: z.string().openapi({ example: "qwen_analysis@2:sentiment" }),
        type: z.string(),
      }),
    ),
    filters: z.array(z.object({ feature: z.string(), op: z.string(), value: z.unknown().optional() })),
    links: z.object({ self: z.string(), download: z.string() }),
  })
  .openapi("Dataset");

export const DatasetListSchema = z.object({ datasets: z.array(DatasetSchema) }).openapi("DatasetList");

export function datasetBody(d: DatasetInfo): z.infer<typeof DatasetSchema> {
  const self = `/v1/registry/datasets/${encodeURIComponent(d.name)}`;
  return {
    name: d.name,
    entity: d.entity,
    description: d.description,
    license: d.license,
    public: d.public,
    owner: d.owner,
    tags: d.tags,
    columns: d.features.map((f) => ({ column: f.column, ref: f.ref, type: f.type })),
    filters: d.filters,
    links: { self, download: `/v1/datasets/${encodeURIComponent(d.name)}/download` },
  };
}

export const route = createRoute({
  operationId: "listDatasets",
  method: "get",
  path: "/v1/registry/datasets",
  tags: ["registry"],
  summary: "Datasets available for bulk download",
  responses: {
    200: { description: "The datasets", content: { "application/json": { schema: DatasetListSchema } } },
    ...errorResponses(),
  },
});

export type DatasetListResponse = z.infer<typeof DatasetListSchema>;

export function registerRegistryDatasets(app: App): void {
  app.openapi(route, async (c) => {
    const datasets = await c.get("useCases").registry.datasets();
    return c.json({ datasets: datasets.map(datasetBody) }, 200);
  });
}
