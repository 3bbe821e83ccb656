import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { KeyIdParamsSchema, KeySchema, keyJson } from "./schemas";

export const route = createRoute({
  operationId: "revokeKey",
  method: "delete",
  path: "/v1/keys/{id}",
  tags: ["keys"],
  summary: "Revoke a key at once, on every server",
  description: "Revoking twice is not an error. A key of another account is 404.",
  request: { params: KeyIdParamsSchema },
  responses: {
    200: { description: "The revoked key", content: { "application/json": { schema: KeySchema } } },
    ...errorResponses("NOT_FOUND"),
  },
});

export function registerRevokeKey(app: App): void {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const revoked = await c.get("services").access.keys.revoke(c.get("principal").accountId, id);
    return c.json(keyJson(revoked), 200);
  });
}
