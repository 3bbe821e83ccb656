import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { jsonBody } from "../../sliced-text";
import { EntityIdSchema, MAX_BATCH_IDS } from "../features/schemas";
import { EmbeddingHeadSchema, EmbeddingParamsSchema, headOf, VectorSchema } from "./schemas";

export const EmbeddingBatchRequestSchema = z
  .object({
    ids: z
      .array(z.union([z.number(), z.string()]))
      .min(1)
      .max(MAX_BATCH_IDS, `a batch holds at most ${MAX_BATCH_IDS} ids`),
  })
  // Unknown keys are refused, not parsed and dropped: a body is what its schema says.
  .strict()
  .openapi("EmbeddingBatchRequest");

export const EmbeddingBatchSchema = EmbeddingHeadSchema.extend({
  items: z.array(
    z.object({
      id: EntityIdSchema,
      vector: VectorSchema.nullable(),
      status: z.enum(["present", "null", "not_found"]),
    }),
  ),
}).openapi("EmbeddingBatch");

export const route = createRoute({
  operationId: "getEmbeddingsBatch",
  method: "post",
  path: "/v1/embeddings/{name}/batch",
  tags: ["embeddings"],
  summary: "The vectors of up to 1,000 entities, in order",
  request: {
    params: EmbeddingParamsSchema,
    body: {
      required: true,
      content: { "application/json": { schema: EmbeddingBatchRequestSchema, example: { ids: [1, 2, 3] } } },
    },
  },
  responses: {
    200: { description: "The vectors", content: { "application/json": { schema: EmbeddingBatchSchema } } },
    ...errorResponses("VALIDATION_FAILED", "MALFORMED_JSON", "NOT_FOUND", "GONE", "PAYLOAD_TOO_LARGE"),
  },
});

export type EmbeddingBatchRequest = z.input<typeof EmbeddingBatchRequestSchema>;
export type EmbeddingBatchResponse = z.infer<typeof EmbeddingBatchSchema>;

export function registerEmbeddingsBatch(app: App): void {
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    const { ids } = c.req.valid("json");
    const { resolved, items } = await c.get("useCases").embeddings.getBatch({ name, ids }, c.get("payer"));
    c.header("content-type", "application/json");
    const head = JSON.stringify(headOf(resolved.embedding));
    function* parts() {
      yield `${head.slice(0, -1)},"items":[`;
      for (const [i, item] of items.entries()) {
        const vector = item.vectorJson ?? "null";
        yield `${i > 0 ? "," : ""}{"id":${JSON.stringify(item.id)},"vector":${vector},"status":"${item.status}"}`;
      }
      yield "]}";
    }
    // Vectors of a 1,000-id batch are megabytes of JSON: sent in slices (api/sliced-text.ts).
    // The typed-response check only knows c.json.
    const values = items.length * resolved.embedding.dimension;
    return c.body(jsonBody(parts(), values), 200) as never;
  });
}
