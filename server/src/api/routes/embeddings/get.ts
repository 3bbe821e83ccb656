import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { EntityIdSchema } from "../features/schemas";
import { EmbeddingHeadSchema, EmbeddingParamsSchema, headOf, VectorSchema } from "./schemas";

export const EmbeddingVectorSchema = EmbeddingHeadSchema.extend({
  id: EntityIdSchema,
  vector: VectorSchema.nullable().openapi({
    description: "null when the entity has no vector (e.g. no lyrics)",
  }),
}).openapi("EmbeddingVector");

export const route = createRoute({
  operationId: "getEmbedding",
  method: "get",
  path: "/v1/embeddings/{name}/{id}",
  tags: ["embeddings"],
  summary: "The vector of one entity",
  request: {
    params: EmbeddingParamsSchema.extend({
      id: z
        .string()
        .min(1)
        .max(400)
        .openapi({ param: { name: "id", in: "path" }, example: "42" }),
    }),
  },
  responses: {
    200: { description: "The vector", content: { "application/json": { schema: EmbeddingVectorSchema } } },
    ...errorResponses("VALIDATION_FAILED", "NOT_FOUND", "GONE"),
  },
});

export type EmbeddingVectorResponse = z.infer<typeof EmbeddingVectorSchema>;

export function registerGetEmbedding(app: App): void {
  app.openapi(route, async (c) => {
    const { name, id } = c.req.valid("param");
    const found = await c.get("useCases").embeddings.get({ name, id }, c.get("payer"));
    return c.json({ ...headOf(found.resolved.embedding), id: found.id, vector: found.vector }, 200);
  });
}
