import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import {
  EntityIdSchema,
  EntityParamsSchema,
  FeatureSelectionQuerySchema,
  FeatureValueSchema,
  LOOKUP_LENGTHS,
} from "./schemas";

export const FeatureVectorSchema = z
  .object({
    entity: z.string().openapi({ example: "track" }),
    id: EntityIdSchema,
    service: z.string().optional(),
    features: z.record(z.string(), FeatureValueSchema).openapi({
      description: "Values by canonical reference (`view@version:feature`), in the requested order",
    }),
  })
  .openapi("FeatureVector");

export const route = createRoute({
  operationId: "getFeatures",
  method: "get",
  path: "/v1/features/{entity}/{id}",
  tags: ["features"],
  summary: "Feature values of one entity",
  description:
    "Reads every requested view version from the online store in one round trip (Postgres when it " +
    "misses or is down). A deprecated version adds `Deprecation`, `Sunset` and `Link` headers.",
  request: {
    params: EntityParamsSchema.extend({
      id: z
        .string()
        .min(1)
        .max(LOOKUP_LENGTHS.id)
        .openapi({ param: { name: "id", in: "path" }, example: "42" }),
    }),
    query: FeatureSelectionQuerySchema,
  },
  responses: {
    200: { description: "The values", content: { "application/json": { schema: FeatureVectorSchema } } },
    ...errorResponses("VALIDATION_FAILED", "UNKNOWN_FEATURE", "NOT_FOUND", "GONE"),
  },
});

export type FeatureVectorResponse = z.infer<typeof FeatureVectorSchema>;

export function registerGetFeatures(app: App): void {
  app.openapi(route, async (c) => {
    const { entity, id } = c.req.valid("param");
    const codec = c.get("codec");
    const selection = codec.selection(c.req.valid("query"), "query");
    const { resolution, table } = await c
      .get("useCases")
      .features.lookup({ entity, id, selection }, c.get("payer"));
    const body = codec.featureVectorJson(entity, table);
    for (const [name, value] of Object.entries(resolution.headers)) c.header(name, value);
    c.header("content-type", "application/json");
    // The FeatureVectorSchema shape, with the values' JSON built directly (FeatureCodec); the
    // typed-response check only knows c.json.
    return c.body(body, 200) as never;
  });
}
