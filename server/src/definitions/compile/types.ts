import type { FeatureType } from "../schema";

/** The PostgreSQL column type of each feature type. */
export const PG_TYPES: Record<FeatureType, string> = {
  bool: "boolean",
  int: "integer",
  float: "double precision",
  string: "text",
  "string[]": "text[]",
  "float[]": "double precision[]",
  timestamp: "timestamp",
  json: "jsonb",
};

/**
 * What an expression must yield before the compiler's cast, by pg_type.typcategory (and the
 * element's category for arrays). A text expression declared float is refused: the author
 * writes the cast, so a JSON string sneaking into a number column is a visible choice.
 */
export const ACCEPTED_CATEGORIES: Record<FeatureType, { category: string; element?: string[] }[]> = {
  bool: [{ category: "B" }],
  int: [{ category: "N" }],
  float: [{ category: "N" }],
  string: [{ category: "S" }],
  "string[]": [{ category: "A", element: ["S"] }],
  "float[]": [{ category: "A", element: ["N"] }],
  timestamp: [{ category: "D" }],
  json: [{ category: "U", element: [] }],
};
