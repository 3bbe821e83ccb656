import { createRoute, z } from "@hono/zod-openapi";
import type { ServiceReport } from "../../../usecases";
import type { App } from "../../env";
import { errorResponses } from "../../errors";

export const FeatureServiceSchema = z
  .object({
    name: z.string().openapi({ example: "hit_predictor" }),
    entity: z.string(),
    description: z.string(),
    owner: z.string().nullable(),
    tags: z.array(z.string()),
    feature_refs: z.array(z.string()).openapi({ description: "References as written in the definition" }),
    features: z.array(z.string()).openapi({ description: "What they resolve to now (canonical references)" }),
    deprecated_views: z.array(z.string()),
    resolution_error: z
      .string()
      .nullable()
      .openapi({ description: "Why the service cannot be served now, if so" }),
  })
  .openapi("FeatureService");

export const FeatureServiceListSchema = z
  .object({ services: z.array(FeatureServiceSchema) })
  .openapi("FeatureServiceList");

export type FeatureServiceBody = z.infer<typeof FeatureServiceSchema>;

/** A service as stored, with what its references resolve to now (or why they do not). */
export function serviceBody({ service, resolved }: ServiceReport): FeatureServiceBody {
  const base = {
    name: service.name,
    entity: service.entity,
    description: service.description,
    owner: service.owner,
    tags: service.tags,
    feature_refs: service.featureRefs,
  };
  if (resolved instanceof Error) {
    return {
      ...base,
      features: service.features.map((f) => f.ref),
      deprecated_views: [],
      resolution_error: resolved.message,
    };
  }
  return {
    ...base,
    features: resolved.columns.map((c) => c.ref),
    deprecated_views: resolved.deprecated.map((v) => v.viewKey),
    resolution_error: null,
  };
}

export const route = createRoute({
  operationId: "listFeatureServices",
  method: "get",
  path: "/v1/registry/services",
  tags: ["registry"],
  summary: "Feature services: named feature sets for one model each",
  responses: {
    200: {
      description: "The services",
      content: { "application/json": { schema: FeatureServiceListSchema } },
    },
    ...errorResponses(),
  },
});

export type FeatureServiceListResponse = z.infer<typeof FeatureServiceListSchema>;

export function registerRegistryServices(app: App): void {
  app.openapi(route, async (c) => {
    const reports = await c.get("useCases").registry.featureServices();
    return c.json({ services: reports.map(serviceBody) }, 200);
  });
}
