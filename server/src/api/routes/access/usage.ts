import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { wholeNumberOr } from "../whole-number";

const limit = z.number().int().nullable().openapi({ description: "null: unlimited" });

export const UsageWindowSchema = z
  .object({
    policy: z.enum(["requests", "rows", "downloads", "bytes"]),
    limit: z.number().int(),
    remaining: z.number().int(),
    reset_seconds: z.number().int().openapi({ description: "Seconds until the window resets" }),
    window_seconds: z.number().int(),
    window: z.enum(["fixed", "utc-day"]).openapi({
      description: "`fixed`: from the first request in it; `utc-day`: resets at UTC midnight",
    }),
  })
  .openapi("UsageWindow");

export const UsageDaySchema = z
  .object({
    day: z.string().openapi({ example: "2025-06-01" }),
    requests: z.number().int(),
    rows: z.number().int(),
    downloads: z.number().int(),
    bytes: z.number().int().openapi({ description: "Bytes sent by dataset downloads" }),
    rejected: z.number().int().openapi({ description: "Requests refused with 429" }),
  })
  .openapi("UsageDay");

export const UsageSchema = z
  .object({
    tier: z.string(),
    limits: z
      .object({ requests: limit, rows: limit, downloads: limit, bytes: limit, bytes_per_second: limit })
      .openapi({
        description:
          "requests per minute, entity rows per UTC day, dataset downloads per UTC day, bytes those downloads send per UTC day, and how fast they are sent (bytes a second, in each server process)",
      }),
    windows: z.array(UsageWindowSchema).openapi({ description: "Current windows (this request counted)" }),
    history: z.array(UsageDaySchema).openapi({ description: "Daily totals, newest first" }),
  })
  .openapi("Usage");

export const route = createRoute({
  operationId: "getUsage",
  method: "get",
  path: "/v1/usage",
  tags: ["keys"],
  summary: "The calling account's quotas, what is left of them, and daily history",
  description: "Any valid key may ask. History is kept per UTC day.",
  request: {
    query: z.object({
      days: wholeNumberOr(1, 90, 30).openapi({ example: 30 }),
    }),
  },
  responses: {
    200: { description: "Usage", content: { "application/json": { schema: UsageSchema } } },
    ...errorResponses("VALIDATION_FAILED"),
  },
});

export function registerUsage(app: App): void {
  app.openapi(route, async (c) => {
    const { days } = c.req.valid("query");
    const report = await c.get("useCases").accounts.usage({ days }, c.get("payer"));
    const windows = report.windows.map((w) => ({
      policy: w.policy.unit,
      limit: w.limit,
      remaining: w.remaining,
      reset_seconds: w.resetSeconds,
      window_seconds: w.policy.windowSeconds,
      window: w.policy.window,
    }));
    c.header("cache-control", "no-store");
    const limits = { ...report.limits, bytes_per_second: report.limits.bytes_per_second ?? null };
    return c.json({ tier: report.tier, limits, windows, history: report.history }, 200);
  });
}
