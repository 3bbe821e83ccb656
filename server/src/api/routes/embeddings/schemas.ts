import { z } from "@hono/zod-openapi";
import type { EmbeddingInfo } from "../../../usecases";

export const EmbeddingParamsSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(64)
    .openapi({
      param: { name: "name", in: "path" },
      description: "`name` (highest servable version) or `name@version`",
      example: "lyrics",
    }),
});

export const EmbeddingHeadSchema = z.object({
  embedding: z.string().openapi({ description: "name@version", example: "lyrics@1" }),
  entity: z.string(),
  dimension: z.number().int(),
  metric: z.enum(["cosine", "l2", "inner_product"]),
});

export const VectorSchema = z.array(z.number()).openapi({ description: "float4 components" });

export function headOf(embedding: EmbeddingInfo) {
  return {
    embedding: `${embedding.name}@${embedding.version}`,
    entity: embedding.entity,
    dimension: embedding.dimension,
    metric: embedding.metric,
  };
}
