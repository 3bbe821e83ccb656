import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";

export const EntitySchema = z
  .object({
    name: z.string().openapi({ example: "track" }),
    key_column: z.string().openapi({ example: "track_id" }),
    key_type: z.enum(["int", "string"]),
    description: z.string(),
    relations: z
      .record(
        z.string(),
        z
          .object({
            entity: z.string().openapi({ example: "artist" }),
            key: z.string().openapi({
              example: "track_artist@1:artist_name",
              description: "The feature of this entity holding the related entity's key",
            }),
            description: z.string().optional(),
          })
          .openapi("EntityRelation"),
      )
      .openapi({
        description:
          "Related entities by relation name: relation.view@version:feature (or view@version:feature, when " +
          "only one relation reaches that view's entity) takes their features in this entity's lookups",
      }),
  })
  .openapi("Entity");

export const EntityListSchema = z.object({ entities: z.array(EntitySchema) }).openapi("EntityList");

export const route = createRoute({
  operationId: "listEntities",
  method: "get",
  path: "/v1/registry/entities",
  tags: ["registry"],
  summary: "Entities and their key types",
  responses: {
    200: { description: "The entities", content: { "application/json": { schema: EntityListSchema } } },
    ...errorResponses(),
  },
});

export type EntityListResponse = z.infer<typeof EntityListSchema>;

export function registerRegistryEntities(app: App): void {
  app.openapi(route, async (c) => {
    const entities = await c.get("useCases").registry.entities();
    return c.json(
      {
        entities: entities.map((e) => ({
          name: e.name,
          key_column: e.keyColumn,
          key_type: e.keyType,
          description: e.description,
          relations: e.relations,
        })),
      },
      200,
    );
  });
}
