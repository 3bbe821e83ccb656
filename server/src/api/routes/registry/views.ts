import { createRoute, z } from "@hono/zod-openapi";
import { listViews } from "../../../registry";
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
    const text = filter.q?.toLowerCase();
    const views = (
      await listViews(c.get("services").sql, filter.entity ? { entity: filter.entity } : {})
    ).filter(
      (v) =>
        (!filter.status || v.status === filter.status) &&
        (!filter.tag || v.tags.includes(filter.tag)) &&
        (filter.latest === undefined || v.isLatest === (filter.latest === "true")) &&
        (!text ||
          v.name.includes(text) ||
          v.description.toLowerCase().includes(text) ||
          v.features.some((f) => f.name.includes(text))),
    );
    return c.json({ views: views.map(viewSummary) }, 200);
  });
}
