import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import {
  CreatedKeySchema,
  DescendantsRevokedSchema,
  DescendantsSchema,
  KeyIdParamsSchema,
  KeySchema,
  keyJson,
  NO_STORE,
} from "./schemas";

export const RotateKeyRequestSchema = z
  .object({
    grace_seconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .optional()
      .openapi({ description: "How long the old key keeps working (default 86400: one day)" }),
    descendants: DescendantsSchema.optional(),
  })
  .strict()
  .openapi("RotateKeyRequest");

export const RotatedKeySchema = CreatedKeySchema.extend({
  previous: KeySchema.openapi({ description: "The old key: `rotating` until `expires_at`" }),
  grace_seconds: z.number().int(),
  descendants_revoked: DescendantsRevokedSchema,
}).openapi("RotatedApiKey");

export const route = createRoute({
  operationId: "rotateKey",
  method: "post",
  path: "/v1/keys/{id}/rotate",
  tags: ["keys"],
  summary: "Replace a key with a new one, keeping the old one valid for a grace period",
  description:
    "The new key has the old one's name, scopes and expiry (never later than the calling key's) and " +
    "is shown only in this response. The " +
    "old key stops working after `grace_seconds` (0: at once). A key of another account is 404; " +
    "a key with scopes the calling key lacks is 403, and so is any call by a key in its own " +
    "rotation grace period. The keys the old key made are kept (now the new key's) unless " +
    "`descendants` is `revoke`.",
  request: {
    params: KeyIdParamsSchema,
    body: {
      required: false,
      content: { "application/json": { schema: RotateKeyRequestSchema, example: { grace_seconds: 3600 } } },
    },
  },
  responses: {
    201: { description: "The new key", content: { "application/json": { schema: RotatedKeySchema } } },
    ...errorResponses("VALIDATION_FAILED", "MALFORMED_JSON", "FORBIDDEN", "NOT_FOUND", "CONFLICT"),
  },
});

export function registerRotateKey(app: App): void {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const rotated = await c
      .get("useCases")
      .keys.rotate({ id, graceSeconds: body.grace_seconds, descendants: body.descendants }, c.get("payer"));
    return c.json(
      {
        ...keyJson(rotated.info),
        key: rotated.key,
        previous: keyJson(rotated.previous),
        grace_seconds: rotated.graceSeconds,
        descendants_revoked: rotated.descendantsRevoked,
      },
      201,
      NO_STORE,
    );
  });
}
