import { createRoute, type z } from "@hono/zod-openapi";
import { DomainError } from "../../../errors";
import { closeMatches } from "../../../serving/suggest";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { NameParamsSchema } from "./schemas";
import { describeService, FeatureServiceSchema } from "./services";

export const route = createRoute({
  operationId: "getFeatureService",
  method: "get",
  path: "/v1/registry/services/{name}",
  tags: ["registry"],
  summary: "One feature service and what it resolves to now",
  request: { params: NameParamsSchema },
  responses: {
    200: { description: "The service", content: { "application/json": { schema: FeatureServiceSchema } } },
    ...errorResponses("NOT_FOUND"),
  },
});

export type FeatureServiceResponse = z.infer<typeof FeatureServiceSchema>;

export function registerRegistryService(app: App): void {
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    const { serving } = c.get("services");
    const snapshot = await serving.catalog.snapshot();
    const service = snapshot.services.get(name);
    if (!service) {
      throw new DomainError("NOT_FOUND", `There is no feature service ${name}.`, {
        extensions: { suggestions: closeMatches(name, snapshot.services.keys()) },
      });
    }
    return c.json(await describeService(serving.features, service), 200);
  });
}
