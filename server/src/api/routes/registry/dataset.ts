import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { DatasetSchema, datasetBody } from "./datasets";
import { nameParams } from "./schemas";

export const DatasetDetailSchema = DatasetSchema.extend({
  query: z.object({ text: z.string(), params: z.array(z.unknown()) }).openapi({
    description: "The compiled SQL of a download's rows",
  }),
}).openapi("DatasetDetail");

export const route = createRoute({
  operationId: "getDataset",
  method: "get",
  path: "/v1/registry/datasets/{name}",
  tags: ["registry"],
  summary: "One dataset: columns, filters, licence and compiled query",
  request: { params: nameParams("public") },
  responses: {
    200: { description: "The dataset", content: { "application/json": { schema: DatasetDetailSchema } } },
    ...errorResponses("NOT_FOUND"),
  },
});

export type DatasetDetailResponse = z.infer<typeof DatasetDetailSchema>;

export function registerRegistryDataset(app: App): void {
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    const dataset = await c.get("useCases").registry.dataset(name);
    return c.json({ ...datasetBody(dataset), query: dataset.query }, 200);
  });
}
