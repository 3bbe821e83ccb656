import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import {
  DescendantsRevokedSchema,
  DescendantsSchema,
  KeyIdParamsSchema,
  KeySchema,
  keyJson,
} from "./schemas";

const RevokedKeySchema = KeySchema.extend({ descendants_revoked: DescendantsRevokedSchema }).openapi(
  "RevokedApiKey",
);

export const route = createRoute({
  operationId: "revokeKey",
  method: "delete",
  path: "/v1/keys/{id}",
  tags: ["keys"],
  summary: "Revoke a key at once, on every server",
  description:
    "Revoking twice is not an error. A key of another account is 404. The keys it made, and " +
    "theirs, are revoked with it unless `descendants=keep`; the calling key and the keys it made " +
    "are always spared (revoking an old key with a newer one it made is a manual rotation).",
  request: {
    params: KeyIdParamsSchema,
    query: z.object({ descendants: DescendantsSchema.optional() }),
  },
  responses: {
    200: { description: "The revoked key", content: { "application/json": { schema: RevokedKeySchema } } },
    ...errorResponses("NOT_FOUND"),
  },
});

export function registerRevokeKey(app: App): void {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const { descendants = "revoke" } = c.req.valid("query");
    const revoked = await c.get("useCases").keys.revoke({ id, descendants }, c.get("payer"));
    return c.json({ ...keyJson(revoked), descendants_revoked: revoked.descendantsRevoked }, 200);
  });
}
