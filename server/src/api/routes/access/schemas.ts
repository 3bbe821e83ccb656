import { z } from "@hono/zod-openapi";
import { type Account, type KeyInfo, SCOPES } from "../../../usecases";

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const timestamp = (description: string) =>
  z.string().nullable().openapi({ description, example: "2025-06-01T12:00:00.000Z" });

export const ScopeSchema = z.enum(SCOPES).openapi("Scope", {
  description: "`admin` implies every other scope",
});

export const KeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({
      description: "The key's first characters, to tell keys apart",
      example: "rapfs_7QdE…",
    }),
    scopes: z.array(ScopeSchema),
    status: z.enum(["active", "rotating", "expired", "revoked"]).openapi({
      description: "`rotating`: replaced by a newer key, valid until `expires_at`",
    }),
    created_at: z.string(),
    last_used_at: timestamp("Updated at most every 15 s"),
    expires_at: timestamp("null: never expires"),
    revoked_at: timestamp("null: not revoked"),
    replaced_by: z.uuid().nullable().openapi({ description: "The key that replaced it on rotation" }),
  })
  .openapi("ApiKey");

export const CreatedKeySchema = KeySchema.extend({
  key: z.string().openapi({
    description: "The plaintext key. Shown only in this response: rapfs stores only its SHA-256 digest.",
    example: "rapfs_7QdEyxnL9Fm2aT4kPbWz8sRcVh3uGjN5",
  }),
}).openapi("CreatedApiKey");

export const AccountSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    tier: z.string().openapi({ example: "free" }),
    disabled: z.boolean(),
    disabled_at: timestamp("When the account was disabled; its keys stop working at once"),
    created_at: z.string(),
  })
  .openapi("Account");

export const KeyIdParamsSchema = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "1f0e4a52-6c1b-4d43-9a7e-5b8f2f3c9d10" }),
});

export type KeyResponse = z.infer<typeof KeySchema>;
export type CreatedKeyResponse = z.infer<typeof CreatedKeySchema>;
export type AccountResponse = z.infer<typeof AccountSchema>;

export function keyJson(info: KeyInfo): KeyResponse {
  return {
    id: info.id,
    name: info.name,
    prefix: info.displayPrefix,
    scopes: info.scopes,
    status: info.status,
    created_at: info.createdAt.toISOString(),
    last_used_at: iso(info.lastUsedAt),
    expires_at: iso(info.expiresAt),
    revoked_at: iso(info.revokedAt),
    replaced_by: info.replacedBy,
  };
}

export function accountJson(account: Account): AccountResponse {
  return {
    id: account.id,
    email: account.email,
    name: account.name,
    tier: account.tier,
    disabled: account.disabledAt !== null,
    disabled_at: iso(account.disabledAt),
    created_at: account.createdAt.toISOString(),
  };
}

/** Responses that carry a plaintext key must not be stored by any cache on the way. */
export const NO_STORE = { "cache-control": "no-store" } as const;

export const DescendantsSchema = z.enum(["revoke", "keep"]).openapi({
  description:
    "The keys this key made (POST /v1/keys with it), and theirs: revoked with it, or kept. " +
    "Revoking defaults to `revoke` (a leaked key's children are as leaked); rotating defaults to " +
    "`keep`, and the kept keys become the successor's.",
});

export const DescendantsRevokedSchema = z
  .number()
  .int()
  .openapi({ description: "How many keys made by this one (transitively) were revoked with it" });
