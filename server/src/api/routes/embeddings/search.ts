import { createRoute, z } from "@hono/zod-openapi";
import { FILTER_OPS, SEARCH_STRATEGIES } from "../../../usecases";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { jsonBody } from "../../sliced-text";
import { EntityIdSchema, FeatureValueSchema, MAX_FEATURE_REFS } from "../features/schemas";
import { EmbeddingHeadSchema, EmbeddingParamsSchema } from "./schemas";

export const MAX_K = 100;

export const FeatureFilterSchema = z
  .object({
    feature: z.string().max(200).openapi({ example: "qwen_analysis:sentiment" }),
    op: z.enum(FILTER_OPS),
    value: z.unknown().optional().openapi({
      description: "A value of the feature's type; an array for `in`; none for is_null/not_null",
    }),
  })
  // As the request around it: a filter holds what it names, a misspelt `valeu` is not ignored.
  .strict()
  .openapi("FeatureFilter", {
    description:
      "Views are left-joined on the entity key, so an entity with no row in the filter's view counts " +
      "as NULL: `is_null` matches it too, and every comparison (`ne` included) leaves it out, as " +
      "SQL does with NULL. `not_null` selects the entities that have a value.",
    example: { feature: "track_profile:popularity", op: "gte", value: 50 },
  });

export const SearchRequestSchema = z
  .object({
    vector: z.array(z.number()).min(1).max(16_000).optional().openapi({
      description:
        "Search by this vector (under cosine, not all zeros: it has no direction; 400 zero_vector; float32 distances: 400 vector_too_long past a squared length of 8.5e37)",
    }),
    id: z
      .union([z.number(), z.string()])
      .optional()
      .openapi({
        description:
          "Or by this entity's own vector (the entity is left out). An unknown id is 404; an entity " +
          "without a vector (null on GET), or with an all-zero one under cosine, answers 200 with no " +
          "neighbours and strategy `no_vector`",
      }),
    k: z.number().int().min(1).max(MAX_K).default(10),
    metric: z
      .enum(["cosine", "l2", "inner_product"])
      .optional()
      .openapi({ description: "Default: the embedding's metric (another one always scans exactly)" }),
    filters: z.array(FeatureFilterSchema).max(20).default([]),
    include_features: z
      .array(z.string().max(200))
      .min(1)
      .max(MAX_FEATURE_REFS)
      .optional()
      .openapi({ description: "Feature references to return with each neighbour" }),
    include_service: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: "Or a feature service's features" }),
    ef_search: z.number().int().min(1).max(1_000).optional().openapi({
      description:
        "hnsw.ef_search for this query (HNSW index scans only, default 40 or k if larger; exact scans ignore it)",
    }),
  })
  // Unknown keys are refused, not parsed and dropped: a body is what its schema says.
  .strict()
  .openapi("SearchRequest");

export const SearchResponseSchema = EmbeddingHeadSchema.extend({
  k: z.number().int(),
  index: z.enum(["exact", "hnsw"]).openapi({
    description: "hnsw when the HNSW index answered; exact when every qualifying row was scanned",
  }),
  strategy: z.enum(SEARCH_STRATEGIES).openapi({
    description:
      "exact: every vector scanned (no HNSW index, or another metric); exact_filtered: the planner " +
      "estimates the filters leave few rows (about 2 × √((k + 1) × rows) or fewer), all scanned; " +
      "hnsw_iterative: the index, scanned until k rows pass the filters; exact_fallback: the exact " +
      "scan answered (one at a time per server process, accounts taking turns; past 16 waiting, 4 of them " +
      "one account's, 503 with Retry-After) because the index's answer could not be vouched for (fewer than k rows; by id, " +
      "the query's own row not reached; the query an outlier, its own neighbours farther than 98% of " +
      "sampled vectors'; its own neighbours jumping, from the third on, to 1.5 × the distance of " +
      "the one before; or rows far outside the query's own neighbourhood); no_vector: " +
      "by id, the entity exists but has no vector (GET answers `vector: null`) or, under cosine, " +
      "an all-zero one, so no neighbours",
  }),
  ef_search: z
    .number()
    .int()
    .nullable()
    .openapi({ description: "hnsw.ef_search the index scan ran with; null for exact answers" }),
  neighbors: z.array(
    z.object({
      id: EntityIdSchema,
      distance: z
        .number()
        .openapi({ description: "pgvector distance: <=> cosine, <-> l2, <#> negative inner product" }),
      features: z.record(z.string(), FeatureValueSchema).optional(),
    }),
  ),
}).openapi("SearchResponse");

export const route = createRoute({
  operationId: "searchEmbedding",
  method: "post",
  path: "/v1/embeddings/{name}/search",
  tags: ["embeddings"],
  summary: "Nearest neighbours by vector or by entity",
  description:
    "Top-k by the embedding's metric, nearest first, optionally filtered on features (joined from " +
    "the view tables, values bound as parameters) and returning the neighbours' features. With an " +
    "HNSW index, a filtered search returns the k nearest rows that pass the filters: the index is " +
    "scanned iteratively, or the qualifying rows exactly when the filters leave few (`strategy`).",
  request: {
    params: EmbeddingParamsSchema,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: SearchRequestSchema,
          example: { id: 42, k: 10, include_features: ["track_profile:popularity"] },
        },
      },
    },
  },
  responses: {
    200: { description: "The neighbours", content: { "application/json": { schema: SearchResponseSchema } } },
    ...errorResponses(
      "VALIDATION_FAILED",
      "MALFORMED_JSON",
      "UNKNOWN_FEATURE",
      "NOT_FOUND",
      "GONE",
      "UNAVAILABLE",
    ),
  },
});

export type SearchRequest = z.input<typeof SearchRequestSchema>;
export type SearchResponse = z.infer<typeof SearchResponseSchema>;

export function registerEmbeddingSearch(app: App): void {
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    const wantsFeatures = body.include_features !== undefined || body.include_service !== undefined;
    const selection = wantsFeatures
      ? c.get("codec").selection({ features: body.include_features, service: body.include_service }, "json")
      : undefined;
    const found = await c.get("useCases").embeddings.search(
      {
        name,
        vector: body.vector,
        id: body.id,
        k: body.k,
        metric: body.metric,
        filters: body.filters,
        efSearch: body.ef_search,
        selection,
      },
      c.get("payer"),
    );
    const { resolved, result, ids } = found;
    const { embedding } = resolved;
    const head = JSON.stringify({
      embedding: `${embedding.name}@${embedding.version}`,
      entity: embedding.entity,
      dimension: embedding.dimension,
      metric: result.metric,
      k: body.k,
      index: result.index,
      strategy: result.strategy,
      ef_search: result.efSearch,
    });
    const features = found.features;
    if (features)
      for (const [header, value] of Object.entries(features.resolution.headers)) c.header(header, value);
    const codec = c.get("codec");
    const featuresOf = (i: number) => (features ? `,"features":${codec.valuesJson(features.table, i)}` : "");
    // SearchResponseSchema's JSON (neighbors last), each neighbour's features built directly by the
    // codec; 100 neighbours with every feature are sent in slices (api/sliced-text.ts).
    const parts = (function* () {
      yield `${head.slice(0, -1)},"neighbors":[`;
      for (const [i, n] of result.neighbors.entries()) {
        const id = JSON.stringify(ids[i]?.id);
        yield `${i > 0 ? "," : ""}{"id":${id},"distance":${JSON.stringify(n.distance)}${featuresOf(i)}}`;
      }
      yield "]}";
    })();
    const values = result.neighbors.length * (features?.resolution.columns.length ?? 0);
    c.header("content-type", "application/json");
    // The typed-response check only knows c.json.
    return c.body(jsonBody(parts, values), 200) as never;
  });
}
