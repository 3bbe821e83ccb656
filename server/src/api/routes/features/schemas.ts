import { z } from "@hono/zod-openapi";
import { DomainError } from "../../../errors";
import { type Selection, splitRefList } from "../../../usecases";
import { sentByTryIt } from "../../docs/try-it";

export const MAX_BATCH_IDS = 1_000;
export const MAX_FEATURE_REFS = 500;
/** The longest path and query values a lookup's schemas accept (the lookup lane checks the same). */
export const LOOKUP_LENGTHS = { entity: 64, id: 400, features: 20_000, service: 64 } as const;

export const EntityIdSchema = z.union([z.number().int(), z.string()]).openapi("EntityId", {
  description: "Integer for tracks (tracks.id), the artist name for artists",
  example: 42,
});

export const FeatureValueSchema = z
  .object({
    value: z.unknown().openapi({ description: "The value; null when status is `null` or `not_found`" }),
    status: z.enum(["present", "null", "not_found"]).openapi({
      description:
        "`not_found`: the entity has no row in this view version (for a related entity's feature: the " +
        "relation's key is missing or the related entity has no row)",
    }),
    event_timestamp: z.string().nullable().openapi({
      description: "When the row's values were true in the source (UTC)",
      example: "2025-05-05T04:09:38.000000Z",
    }),
  })
  .openapi("FeatureValue");

export const FeatureColumnSchema = z
  .object({
    values: z.array(z.unknown()),
    statuses: z
      .array(z.enum(["present", "null", "not_found"]))
      .optional()
      .openapi({
        description:
          "Each value's status in id order; left out when every value is present (as an Arrow column " +
          "without nulls has no validity buffer), which is most columns",
      }),
  })
  .openapi("FeatureColumn", {
    description:
      "Values and statuses in id order; the event timestamps are the view version's (`event_timestamps`)",
  });

export const EntityParamsSchema = z.object({
  entity: z
    .string()
    .min(1)
    .max(LOOKUP_LENGTHS.entity)
    .openapi({ param: { name: "entity", in: "path" }, example: "track" }),
});

const refList = z
  .union([
    z.string().max(LOOKUP_LENGTHS.features),
    z.array(z.string().max(LOOKUP_LENGTHS.features)).max(MAX_FEATURE_REFS),
  ])
  .optional();

export const FeatureSelectionQuerySchema = z.object({
  features: refList.openapi({
    param: { name: "features", in: "query", style: "form", explode: true },
    description:
      "Feature references, comma-separated or repeated: `view@2:feature`, `view:feature` (latest version), " +
      "`view@2:*`; a related entity's features through the entity's relation: `artist.artist_stats@1:*` " +
      "(or `artist_stats@1:*`, when one relation reaches that view's entity), answered under `artist.…` keys",
    example: "qwen_analysis@2:sentiment,track_profile:popularity",
  }),
  service: z
    .string()
    .max(LOOKUP_LENGTHS.service)
    .optional()
    .openapi({
      param: { name: "service", in: "query", ...sentByTryIt("hit_predictor", "The hit_predictor service") },
      description: "A feature service instead of `features`",
      example: "hit_predictor",
    }),
});

export type SelectionInput = { features?: string | string[] | undefined; service?: string | undefined };

/**
 * Either a features list (split on commas) or a service; both or neither is a 400. `split`
 * splits a single `features` string (the codec memoizes it for hot lookups).
 */
export function selectionOf(
  input: SelectionInput,
  where: "query" | "json",
  split: (features: string) => string[] = splitRefList,
): Selection {
  const { features } = input;
  const refs = typeof features === "string" ? split(features) : splitRefList(features ?? []);
  const given = input.features !== undefined;
  if (given === (input.service !== undefined)) {
    throw new DomainError("VALIDATION_FAILED", "Send either `features` or `service` (one of them).", {
      errors: [
        {
          in: where,
          path: ["features"],
          pointer: "#/features",
          detail: "features or service",
          code: "invalid_union",
        },
      ],
    });
  }
  if (input.service !== undefined) return { service: input.service, in: where, field: "service" };
  if (refs.length === 0 || refs.length > MAX_FEATURE_REFS) {
    const detail = `Name 1 to ${MAX_FEATURE_REFS} feature references.`;
    throw new DomainError("VALIDATION_FAILED", detail, {
      errors: [{ in: where, path: ["features"], pointer: "#/features", detail, code: "too_big" }],
    });
  }
  return { features: refs, in: where, field: "features" };
}
