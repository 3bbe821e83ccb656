import { createRoute, type z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { FeatureServiceSchema, serviceBody } from "./feature-services";
import { nameParams } from "./schemas";

export const route = createRoute({
  operationId: "getFeatureService",
  method: "get",
  path: "/v1/registry/services/{name}",
  tags: ["registry"],
  summary: "One feature service and what it resolves to now",
  request: { params: nameParams("hit_predictor") },
  responses: {
    200: { description: "The service", content: { "application/json": { schema: FeatureServiceSchema } } },
    ...errorResponses("NOT_FOUND"),
  },
});

export type FeatureServiceResponse = z.infer<typeof FeatureServiceSchema>;

export function registerRegistryService(app: App): void {
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    return c.json(serviceBody(await c.get("useCases").registry.featureService(name)), 200);
  });
}
