import { createRoute, z } from "@hono/zod-openapi";
import { clientAddress } from "../../access/client-address";
import { limitSignups } from "../../access/signup-limit";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { AccountSchema, accountJson, CreatedKeySchema, keyJson, NO_STORE } from "./schemas";

export const SignupRequestSchema = z
  .object({
    email: z.string().max(254).openapi({ example: "ada@example.com" }),
    name: z.string().max(200).optional().openapi({ example: "Ada" }),
  })
  .strict()
  .openapi("SignupRequest");

export const SignupResponseSchema = z
  .object({ account: AccountSchema, key: CreatedKeySchema })
  .openapi("SignupResponse");

export const route = createRoute({
  operationId: "signup",
  method: "post",
  path: "/v1/signup",
  tags: ["keys"],
  summary: "Create a free account and its first API key",
  description:
    "Returns the key once: rapfs keeps only its SHA-256 digest. Limited per client address " +
    "(IPv6: per /64) to 5 accounts created an hour and 30 attempts an hour, failed ones included, " +
    "counted before the body is read (an attempt that creates no account gives its account back). " +
    "The 429's `policy` says which: `signup` or `signup_attempts`. An email that already " +
    "has an account gets 409: without email delivery the key cannot be sent elsewhere, so the " +
    "address limit is what keeps probing for registered emails slow.",
  middleware: [
    limitSignups((c) => clientAddress(c, c.get("useCases").admission.trustedProxyHops())),
  ] as const,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: SignupRequestSchema,
          example: { email: "ada@example.com", name: "Ada" },
        },
      },
    },
  },
  responses: {
    201: {
      description: "The account and its first key (scopes: everything but admin)",
      content: { "application/json": { schema: SignupResponseSchema } },
    },
    ...errorResponses("VALIDATION_FAILED", "MALFORMED_JSON", "CONFLICT", "RATE_LIMITED"),
  },
});

export function registerSignup(app: App): void {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const { account, key } = await c.get("useCases").accounts.signup({ email: body.email, name: body.name });
    return c.json(
      { account: accountJson(account), key: { ...keyJson(key.info), key: key.key } },
      201,
      NO_STORE,
    );
  });
}
