import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { AccountSchema, accountJson } from "./schemas";

export const UpdateAccountRequestSchema = z
  .object({
    tier: z.string().max(32).optional().openapi({ description: "A configured tier", example: "pro" }),
    disabled: z.boolean().optional().openapi({ description: "true stops every key of the account at once" }),
  })
  .strict()
  .refine((body) => body.tier !== undefined || body.disabled !== undefined, {
    message: "give tier, disabled or both",
  })
  .openapi("UpdateAccountRequest");

export const route = createRoute({
  operationId: "updateAccount",
  method: "patch",
  path: "/v1/admin/accounts/{id}",
  tags: ["admin"],
  summary: "Change an account's tier or disable it",
  description:
    "Takes effect on every server within a second. The account of the calling key cannot be disabled.",
  request: {
    params: z.object({
      id: z
        .string()
        .max(64)
        .openapi({ param: { name: "id", in: "path" }, example: "0b6c3f7e-2a1d-4c59-8e4f-6d2a9b1c7e30" }),
    }),
    body: {
      required: true,
      content: { "application/json": { schema: UpdateAccountRequestSchema, example: { tier: "pro" } } },
    },
  },
  responses: {
    200: {
      description: "The account as updated",
      content: { "application/json": { schema: AccountSchema } },
    },
    ...errorResponses("VALIDATION_FAILED", "MALFORMED_JSON", "NOT_FOUND", "CONFLICT"),
  },
});

export function registerUpdateAccount(app: App): void {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const account = await c
      .get("useCases")
      .accounts.update({ id, tier: body.tier, disabled: body.disabled }, c.get("payer"));
    return c.json(accountJson(account), 200);
  });
}
