import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { nameParams, ViewSummarySchema, viewSummary } from "./schemas";

export const ViewVersionsSchema = z
  .object({
    name: z.string(),
    latest_version: z.number().int().nullable(),
    versions: z.array(ViewSummarySchema),
  })
  .openapi("FeatureViewVersions");

export const route = createRoute({
  operationId: "getFeatureView",
  method: "get",
  path: "/v1/registry/views/{name}",
  tags: ["registry"],
  summary: "Every version of one feature view",
  request: { params: nameParams("track_profile") },
  responses: {
    200: { description: "The versions", content: { "application/json": { schema: ViewVersionsSchema } } },
    ...errorResponses("NOT_FOUND"),
  },
});

export type ViewVersionsResponse = z.infer<typeof ViewVersionsSchema>;

export function registerRegistryView(app: App): void {
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    const versions = await c.get("useCases").registry.viewVersions(name);
    const latest = versions.find((v) => v.isLatest)?.version ?? null;
    return c.json({ name, latest_version: latest, versions: versions.map(viewSummary) }, 200);
  });
}
