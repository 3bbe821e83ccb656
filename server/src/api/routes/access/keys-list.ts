import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { KeySchema, keyJson } from "./schemas";

export const KeyListSchema = z.object({ keys: z.array(KeySchema) }).openapi("ApiKeyList");

export const route = createRoute({
  operationId: "listKeys",
  method: "get",
  path: "/v1/keys",
  tags: ["keys"],
  summary: "The keys of the calling key's account",
  description: "Newest first, revoked and expired ones included; never the keys themselves.",
  responses: {
    200: { description: "The account's keys", content: { "application/json": { schema: KeyListSchema } } },
    ...errorResponses(),
  },
});

export function registerListKeys(app: App): void {
  app.openapi(route, async (c) => {
    const keys = await c.get("useCases").keys.list(c.get("payer"));
    return c.json({ keys: keys.map(keyJson) }, 200);
  });
}
