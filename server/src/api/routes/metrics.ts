import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../env";
import { errorResponses } from "../errors";

export const route = createRoute({
  operationId: "getMetrics",
  method: "get",
  path: "/metrics",
  tags: ["operations"],
  summary: "Prometheus metrics",
  description:
    "Request rate, errors and latency by route pattern and status; online-store hit ratio and " +
    "fallbacks; feature freshness per view; materialization runs; quota rejections.",
  responses: {
    200: {
      description: "Prometheus text exposition format",
      content: { "text/plain": { schema: z.string() } },
    },
    ...errorResponses(),
  },
});

export function registerMetrics(app: App): void {
  app.openapi(route, async (c) => {
    const { text, contentType } = await c.get("useCases").operations.metrics();
    return c.text(text, 200, { "content-type": contentType });
  });
}
