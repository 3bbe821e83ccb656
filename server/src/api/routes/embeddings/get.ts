import { createRoute, z } from "@hono/zod-openapi";
import { DomainError } from "../../../errors";
import { parsePathId } from "../../../serving";
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
    const { embeddings } = c.get("services").serving;
    const resolved = await embeddings.resolve(name);
    const parsed = parsePathId(resolved.entity, id);
    const vector = (await embeddings.vectors(resolved.embedding, [parsed])).get(parsed.key);
    if (vector === undefined) {
      throw new DomainError("NOT_FOUND", `There is no ${resolved.entity.name} ${parsed.id} in ${name}.`);
    }
    return c.json({ ...headOf(resolved.embedding), id: parsed.id, vector }, 200);
  });
}
