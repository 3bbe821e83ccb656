import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { jsonBody } from "../../sliced-text";
import {
  EntityIdSchema,
  EntityParamsSchema,
  FeatureColumnSchema,
  FeatureValueSchema,
  MAX_BATCH_IDS,
  MAX_FEATURE_REFS,
} from "./schemas";

export const FeatureBatchRequestSchema = z
  .object({
    ids: z
      .array(z.union([z.number(), z.string()]))
      .min(1)
      .max(MAX_BATCH_IDS, `a batch holds at most ${MAX_BATCH_IDS} ids`)
      .openapi({
        description: `1 to ${MAX_BATCH_IDS} ids; duplicates are answered in place`,
        example: [1, 2, 3],
      }),
    features: z.array(z.string().max(200)).min(1).max(MAX_FEATURE_REFS).optional(),
    service: z.string().max(64).optional(),
    format: z.enum(["rows", "columns"]).default("rows"),
  })
  // Unknown keys are refused, not parsed and dropped: a body is what its schema says.
  .strict()
  .openapi("FeatureBatchRequest");

const common = {
  entity: z.string(),
  service: z.string().optional(),
  features: z.array(z.string()).openapi({ description: "Canonical references, in order" }),
};

export const FeatureRowsSchema = z
  .object({
    ...common,
    format: z.literal("rows"),
    rows: z.array(z.object({ id: EntityIdSchema, features: z.record(z.string(), FeatureValueSchema) })),
  })
  .openapi("FeatureRows");

export const FeatureColumnsSchema = z
  .object({
    ...common,
    format: z.literal("columns"),
    ids: z.array(EntityIdSchema),
    event_timestamps: z.record(z.string(), z.array(z.string().nullable())).openapi({
      description:
        "Per view version (`view@version`, or `relation.view@version` for a related entity's: a column " +
        "reference's part before `:`), each id's event timestamp; null where the id has no row in that " +
        "view version",
    }),
    columns: z.record(z.string(), FeatureColumnSchema),
  })
  .openapi("FeatureColumns");

export const FeatureBatchSchema = z.discriminatedUnion("format", [FeatureRowsSchema, FeatureColumnsSchema]);

export const route = createRoute({
  operationId: "getFeaturesBatch",
  method: "post",
  path: "/v1/features/{entity}/batch",
  tags: ["features"],
  summary: "Feature values of up to 1,000 entities",
  description:
    "Ids are checked against the entity's key type and answered in order, duplicates included; " +
    "an id without a row in a view gets `not_found` for that view's features. `rows` gives one " +
    "object per id, `columns` one array per feature.",
  request: {
    params: EntityParamsSchema,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: FeatureBatchRequestSchema,
          example: { ids: [1, 2, 3], service: "hit_predictor", format: "rows" },
        },
      },
    },
  },
  responses: {
    200: { description: "The values", content: { "application/json": { schema: FeatureBatchSchema } } },
    ...errorResponses(
      "VALIDATION_FAILED",
      "MALFORMED_JSON",
      "UNKNOWN_FEATURE",
      "NOT_FOUND",
      "GONE",
      "PAYLOAD_TOO_LARGE",
    ),
  },
});

export type FeatureBatchRequest = z.input<typeof FeatureBatchRequestSchema>;
export type FeatureBatchResponse = z.infer<typeof FeatureBatchSchema>;

export function registerFeaturesBatch(app: App): void {
  app.openapi(route, async (c) => {
    const { entity } = c.req.valid("param");
    const body = c.req.valid("json");
    const codec = c.get("codec");
    const selection = codec.selection(body, "json");
    const { resolution, table } = await c
      .get("useCases")
      .features.lookupBatch({ entity, ids: body.ids, selection }, c.get("payer"));
    for (const [name, value] of Object.entries(resolution.headers)) c.header(name, value);
    const head = {
      entity,
      ...(resolution.service ? { service: resolution.service } : {}),
      features: resolution.columns.map((column) => column.ref),
    };
    c.header("content-type", "application/json");
    // The schemas' JSON, built directly by the codec. A large one (a 1,000-id batch of every
    // feature is megabytes) is sent in slices, as built at once it held every other request.
    // The typed-response check only knows c.json.
    const parts =
      body.format === "columns"
        ? codec.columnsBody(
            JSON.stringify({ ...head, format: "columns", ids: table.ids.map((id) => id.id) }),
            table,
          )
        : codec.rowsBody(JSON.stringify({ ...head, format: "rows" }), table);
    const cells = table.ids.length * resolution.columns.length;
    return c.body(jsonBody(parts, cells), 200) as never;
  });
}
