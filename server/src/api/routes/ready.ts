import { createRoute, z } from "@hono/zod-openapi";
import { DomainError } from "../../errors";
import type { App } from "../env";
import { errorResponses } from "../errors";

export const CheckResultSchema = z
  .object({
    name: z.string(),
    status: z.enum(["pass", "fail"]),
    critical: z.boolean().openapi({ description: "A failing critical check makes the service not ready" }),
    duration_ms: z.number(),
    detail: z.string().optional(),
  })
  .openapi("ReadinessCheck");

export const ReadySchema = z
  .object({
    status: z.enum(["ready", "degraded"]).openapi({
      description: "`degraded`: a non-critical check failed (e.g. Redis; reads come from Postgres)",
    }),
    checks: z.array(CheckResultSchema),
    checked_at: z.string().datetime().openapi({
      description: "When the checks ran: one run answers every probe for a second",
    }),
  })
  .openapi("Readiness");

export const route = createRoute({
  operationId: "getReady",
  method: "get",
  path: "/ready",
  tags: ["operations"],
  summary: "Readiness: dependencies reachable and data loaded",
  description:
    "Cheap checks (the database answers a `select 1`, data preparation finished, the catalog is " +
    "loaded, Redis answers) whose result is reused for a second. 503 with the failed checks in " +
    "`checks` when a critical one fails; a dependency with a fallback (Redis, a read replica) " +
    "that fails makes it `degraded`, still 200.",
  responses: {
    200: { description: "Ready to serve", content: { "application/json": { schema: ReadySchema } } },
    ...errorResponses("NOT_READY"),
  },
});

export type ReadyResponse = z.infer<typeof ReadySchema>;

export function registerReady(app: App): void {
  app.openapi(route, async (c) => {
    const report = await c.get("useCases").operations.readiness();
    if (report.status === "not_ready") {
      const failed = report.checks.filter((check) => check.status === "fail");
      throw new DomainError("NOT_READY", `Failing checks: ${failed.map((check) => check.name).join(", ")}.`, {
        extensions: { checks: report.checks, checked_at: report.checkedAt },
        // As every 503: a client (a load balancer's probe, a deploy script) may ask again then.
        headers: { "cache-control": "no-store", "retry-after": "1" },
      });
    }
    c.header("cache-control", "no-store");
    return c.json({ status: report.status, checks: report.checks, checked_at: report.checkedAt }, 200);
  });
}
