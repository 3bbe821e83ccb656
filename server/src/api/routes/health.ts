import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../env";
import { errorResponses } from "../errors";

export const HealthSchema = z
  .object({
    status: z.literal("ok"),
    uptime_seconds: z.number().nonnegative(),
  })
  .openapi("Health");

export const route = createRoute({
  operationId: "getHealth",
  method: "get",
  path: "/health",
  tags: ["operations"],
  summary: "Liveness: the process is up and serving",
  description: "Answers without touching the database or Redis; use /ready for dependencies.",
  responses: {
    200: { description: "The process is alive", content: { "application/json": { schema: HealthSchema } } },
    ...errorResponses(),
  },
});

export type HealthResponse = z.infer<typeof HealthSchema>;

export function registerHealth(app: App): void {
  app.openapi(route, (c) => c.json({ status: "ok" as const, uptime_seconds: process.uptime() }, 200));
}
