import { createRoute, z } from "@hono/zod-openapi";
import type { FeatureServiceInfo } from "../../../registry";
import type { FeatureServer } from "../../../serving";
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

/** A service as stored, with its references resolved against the current catalog. */
export async function describeService(
  features: FeatureServer,
  service: FeatureServiceInfo,
): Promise<FeatureServiceBody> {
  const base = {
    name: service.name,
    entity: service.entity,
    description: service.description,
    owner: service.owner,
    tags: service.tags,
    feature_refs: service.featureRefs,
  };
  try {
    const resolution = await features.resolve(service.entity, {
      service: service.name,
      in: "query",
      field: "service",
    });
    return {
      ...base,
      features: resolution.columns.map((c) => c.ref),
      deprecated_views: resolution.deprecated.map((v) => v.viewKey),
      resolution_error: null,
    };
  } catch (error) {
    return {
      ...base,
      features: service.features.map((f) => f.ref),
      deprecated_views: [],
      resolution_error: (error as Error).message,
    };
  }
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
    const { serving } = c.get("services");
    const snapshot = await serving.catalog.snapshot();
    const services = await Promise.all(
      [...snapshot.services.values()].map((s) => describeService(serving.features, s)),
    );
    return c.json({ services }, 200);
  });
}
