import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { wholeNumberOr } from "../whole-number";
import { AccountSchema, accountJson } from "./schemas";

export const AccountListSchema = z
  .object({
    accounts: z.array(AccountSchema),
    next_after: z.uuid().nullable().openapi({ description: "Pass as `after` for the next page" }),
  })
  .openapi("AccountList");

export const route = createRoute({
  operationId: "listAccounts",
  method: "get",
  path: "/v1/admin/accounts",
  tags: ["admin"],
  summary: "Every account, oldest first",
  request: {
    query: z.object({
      limit: wholeNumberOr(1, 1_000, 100),
      after: z.uuid().optional().openapi({ description: "The last id of the previous page" }),
    }),
  },
  responses: {
    200: {
      description: "A page of accounts",
      content: { "application/json": { schema: AccountListSchema } },
    },
    ...errorResponses("VALIDATION_FAILED"),
  },
});

export function registerListAccounts(app: App): void {
  app.openapi(route, async (c) => {
    const { limit, after } = c.req.valid("query");
    const accounts = await c.get("useCases").accounts.list({ limit, after });
    const last = accounts.length === limit ? accounts[accounts.length - 1] : undefined;
    return c.json({ accounts: accounts.map(accountJson), next_after: last?.id ?? null }, 200);
  });
}
