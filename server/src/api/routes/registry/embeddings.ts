import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { freshness } from "./schemas";

export const EmbeddingInfoSchema = z
  .object({
    name: z.string().openapi({ example: "lyrics" }),
    version: z.number().int(),
    ref: z.string().openapi({ example: "lyrics@1" }),
    entity: z.string(),
    dimension: z.number().int(),
    metric: z.enum(["cosine", "l2", "inner_product"]),
    index: z.enum(["exact", "hnsw"]),
    status: z.enum(["active", "deprecated", "retired"]),
    sunset_date: z.string().nullable(),
    description: z.string(),
    tags: z.array(z.string()),
    last_materialized_at: z
      .string()
      .nullable()
      .openapi({ description: "Null for vectors read from the tracks table directly" }),
    freshness_seconds: z.number().nullable(),
  })
  .openapi("EmbeddingInfo");

export const EmbeddingListSchema = z
  .object({ embeddings: z.array(EmbeddingInfoSchema) })
  .openapi("EmbeddingList");

export const route = createRoute({
  operationId: "listEmbeddings",
  method: "get",
  path: "/v1/registry/embeddings",
  tags: ["registry"],
  summary: "Embeddings: dimension, metric, index",
  responses: {
    200: { description: "The embeddings", content: { "application/json": { schema: EmbeddingListSchema } } },
    ...errorResponses(),
  },
});

export type EmbeddingListResponse = z.infer<typeof EmbeddingListSchema>;

export function registerRegistryEmbeddings(app: App): void {
  app.openapi(route, async (c) => {
    const embeddings = await c.get("useCases").registry.embeddings();
    return c.json(
      {
        embeddings: embeddings.map((e) => ({
          name: e.name,
          version: e.version,
          ref: `${e.name}@${e.version}`,
          entity: e.entity,
          dimension: e.dimension,
          metric: e.metric,
          index: e.indexKind,
          status: e.status,
          sunset_date: e.sunsetDate,
          description: e.description,
          tags: e.tags,
          last_materialized_at: e.lastMaterializedAt?.toISOString() ?? null,
          freshness_seconds: freshness(e.lastMaterializedAt),
        })),
      },
      200,
    );
  });
}
