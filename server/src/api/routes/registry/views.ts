import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { ViewSummarySchema, viewSummary } from "./schemas";

export const ViewListSchema = z.object({ views: z.array(ViewSummarySchema) }).openapi("FeatureViewList");

const query = z.object({
  entity: z
    .string()
    .max(64)
    .optional()
    .openapi({ param: { name: "entity", in: "query" }, example: "track" }),
  status: z
    .enum(["active", "deprecated", "retired"])
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
  tag: z
    .string()
    .max(64)
    .optional()
    .openapi({ param: { name: "tag", in: "query" }, example: "llm" }),
  latest: z
    .enum(["true", "false"])
    .optional()
    .openapi({
      param: { name: "latest", in: "query" },
      description: "Only the versions `view:feature` resolves to",
    }),
  q: z
    .string()
    .max(200)
    .optional()
    .openapi({
      param: { name: "q", in: "query" },
      description: "Text in the name, description or a feature name",
    }),
});

export const route = createRoute({
  operationId: "listFeatureViews",
  method: "get",
  path: "/v1/registry/views",
  tags: ["registry"],
  summary: "Feature view versions, filterable",
  request: { query },
  responses: {
    200: { description: "The view versions", content: { "application/json": { schema: ViewListSchema } } },
    ...errorResponses("VALIDATION_FAILED"),
  },
});

export type ViewListResponse = z.infer<typeof ViewListSchema>;

export function registerRegistryViews(app: App): void {
  app.openapi(route, async (c) => {
    const filter = c.req.valid("query");
    const views = await c.get("useCases").registry.views({
      entity: filter.entity,
      status: filter.status,
      tag: filter.tag,
      latest: filter.latest === undefined ? undefined : filter.latest === "true",
      text: filter.q,
    });
    return c.json({ views: views.map(viewSummary) }, 200);
  });
}
