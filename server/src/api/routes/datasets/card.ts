import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { DownloadQuery, NameParams, planRequest } from "./schemas";

const stat = z.union([z.number(), z.string()]).nullable().optional();

export const DatasetCardSchema = z
  .object({
    name: z.string().openapi({ example: "public" }),
    kind: z.enum(["dataset", "feature_service"]),
    entity: z.string(),
    description: z.string(),
    license: z.string().nullable(),
    public: z.boolean().openapi({
      description:
        "Downloadable whole on every tier: this download spends downloads and bytes, not entity rows",
    }),
    owner: z.string().nullable(),
    row_set: z.string().openapi({
      description:
        "Which entities are rows: those present in every view read (inner joins on the key), then the filters",
    }),
    version: z.string().openapi({ description: "Changes when a source is re-materialized" }),
    built_at: z.string().nullable().openapi({ description: "When the newest materialization read finished" }),
    generated_at: z.string(),
    as_of: z.string().nullable(),
    limit: z.number().nullable(),
    rows: z.number().int(),
    columns: z.array(
      z.object({
        name: z.string(),
        type: z.string(),
        description: z.string(),
        source: z.string(),
        null_rate: z.number(),
        min: stat,
        max: stat,
        mean: z.number().nullable().optional(),
        distinct: z.number().optional(),
        true_rate: z.number().nullable().optional(),
        min_items: z.number().nullable().optional(),
        max_items: z.number().nullable().optional(),
      }),
    ),
    filters: z.array(z.object({ feature: z.string(), op: z.string(), value: z.unknown().optional() })),
    sources: z.array(z.record(z.string(), z.unknown())),
    quality: z.object({
      duplicates: z
        .object({
          columns: z.array(z.string()),
          groups: z.number(),
          rows: z.number(),
          examples: z.array(z.object({ values: z.array(z.string()), keys: z.array(z.unknown()) })),
        })
        .nullable(),
    }),
    formats: z.array(z.string()),
  })
  .openapi("DatasetCard");

export const route = createRoute({
  operationId: "getDatasetCard",
  method: "get",
  path: "/v1/datasets/{name}",
  tags: ["datasets"],
  summary: "The dataset card: schema, licence, rows, quality, version",
  description:
    "Describes exactly the rows a download with the same options holds (the statistics are read in " +
    "one snapshot); cached until a source is re-materialized. The current card costs a request. A card " +
    "at an `as_of` not computed yet computes the dataset as it was then, so it is charged as one " +
    "download (once a day per account and card) before the work starts, and takes a download slot " +
    "(503 with Retry-After when all are busy). " +
    "`service:<name>` describes a feature service.",
  request: { params: NameParams, query: DownloadQuery.omit({ format: true }) },
  responses: {
    200: { description: "The card", content: { "application/json": { schema: DatasetCardSchema } } },
    ...errorResponses(
      "VALIDATION_FAILED",
      "BAD_REQUEST",
      "UNKNOWN_FEATURE",
      "GONE",
      "UNAUTHORIZED",
      "FORBIDDEN",
      "NOT_FOUND",
      "RATE_LIMITED",
      "UNAVAILABLE",
    ),
  },
});

export function registerCard(app: App): void {
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    const request = planRequest(name, { ...c.req.valid("query"), format: "parquet" });
    const card = await c.get("useCases").datasets.card(request, c.get("payer"), c.req.raw.signal);
    return c.json(card as z.infer<typeof DatasetCardSchema>, 200);
  });
}
