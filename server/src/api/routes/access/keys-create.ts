import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { CreatedKeySchema, keyJson, NO_STORE, ScopeSchema } from "./schemas";

export const CreateKeyRequestSchema = z
  .object({
    name: z.string().max(100).optional().openapi({ example: "notebook" }),
    scopes: z
      .array(ScopeSchema)
      .min(1)
      .max(10)
      .openapi({ description: "At most the calling key's own scopes", example: ["features:read"] }),
    expires_at: z.iso.datetime({ offset: true }).optional().openapi({ example: "2026-01-01T00:00:00Z" }),
    expires_in_days: z.number().positive().max(3_650).optional(),
  })
  .strict()
  .refine((body) => body.expires_at === undefined || body.expires_in_days === undefined, {
    message: "give expires_at or expires_in_days, not both",
    path: ["expires_in_days"],
  })
  .openapi("CreateKeyRequest");

export const route = createRoute({
  operationId: "createKey",
  method: "post",
  path: "/v1/keys",
  tags: ["keys"],
  summary: "Create a key for the calling key's account",
  description:
    "The new key's scopes must be held by the calling key, and it expires no later than the calling " +
    "key (an expiry asked for past that, or none, becomes the calling key's). Revoking the calling " +
    "key revokes the keys it made unless `descendants=keep`. A key in its rotation grace period " +
    "cannot create keys (403). The key is shown only in this response.",
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: CreateKeyRequestSchema,
          example: { name: "notebook", scopes: ["features:read"], expires_in_days: 90 },
        },
      },
    },
  },
  responses: {
    201: { description: "The new key", content: { "application/json": { schema: CreatedKeySchema } } },
    ...errorResponses("VALIDATION_FAILED", "MALFORMED_JSON", "FORBIDDEN", "CONFLICT"),
  },
});

export function registerCreateKey(app: App): void {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const expiresAt = body.expires_at
      ? new Date(body.expires_at)
      : body.expires_in_days
        ? new Date(Date.now() + body.expires_in_days * 86_400_000)
        : null;
    const created = await c
      .get("useCases")
      .keys.create({ name: body.name, scopes: body.scopes, expiresAt }, c.get("payer"));
    return c.json({ ...keyJson(created.info), key: created.key }, 201, NO_STORE);
  });
}
