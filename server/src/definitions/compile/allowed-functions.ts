/** Aggregates a feature may use: each can be computed from per-row inputs (see split-aggregates). */
export const AGGREGATES: ReadonlySet<string> = new Set([
  "avg",
  "count",
  "sum",
  "min",
  "max",
  "stddev",
  "stddev_pop",
  "stddev_samp",
  "variance",
  "var_pop",
  "var_samp",
  "bool_and",
  "bool_or",
  "every",
  "array_agg",
  "string_agg",
  "jsonb_agg",
  "json_agg",
  "jsonb_object_agg",
  "mode",
  "percentile_cont",
  "percentile_disc",
  "corr",
  "covar_pop",
  "regr_slope",
]);

// Built-in functions that read nothing but their arguments: no session, server, file or clock,
// and none returns a set. The database check still refuses any whose catalog entry is volatile.
const SCALAR_FUNCTIONS = [
  // numbers
  ...["abs", "ceil", "ceiling", "floor", "round", "trunc", "sign", "sqrt", "cbrt", "power", "pow"],
  ...["exp", "ln", "log", "log10", "mod", "div", "degrees", "radians", "pi", "width_bucket"],
  ...["scale", "trim_scale", "gcd", "lcm", "sin", "cos", "tan", "asin", "acos", "atan", "atan2"],
  // text
  ...["length", "char_length", "character_length", "octet_length", "lower", "upper", "initcap"],
  ...["btrim", "ltrim", "rtrim", "lpad", "rpad", "left", "right", "substr", "substring"],
  ...["position", "strpos", "starts_with", "replace", "translate", "repeat", "reverse"],
  ...["split_part", "concat", "concat_ws", "format", "chr", "ascii", "overlay", "md5"],
  ...["normalize", "is_normalized", "to_hex", "sha256"],
  // patterns (like_escape and similar_to_escape are what LIKE … ESCAPE and SIMILAR TO parse into)
  ...["regexp_replace", "regexp_match", "regexp_split_to_array", "regexp_like", "regexp_count"],
  ...["regexp_instr", "regexp_substr", "like_escape", "similar_to_escape"],
  // dates and times (timezone is what AT TIME ZONE parses into)
  ...["date_trunc", "date_part", "extract", "date_bin", "make_date", "make_time", "make_timestamp"],
  ...["make_interval", "to_char", "to_date", "to_timestamp", "to_number", "justify_days"],
  ...["justify_hours", "justify_interval", "isfinite", "timezone", "overlaps"],
  // json
  ...["jsonb_array_length", "json_array_length", "jsonb_typeof", "json_typeof", "to_jsonb", "to_json"],
  ...["jsonb_extract_path", "jsonb_extract_path_text", "json_extract_path", "json_extract_path_text"],
  ...["jsonb_build_object", "jsonb_build_array", "json_build_object", "json_build_array"],
  ...["jsonb_strip_nulls", "jsonb_set", "jsonb_insert", "jsonb_path_exists", "jsonb_path_match"],
  ...["jsonb_path_query_first", "jsonb_path_query_array", "array_to_json"],
  // arrays
  ...["array_length", "array_upper", "array_lower", "array_ndims", "array_dims", "cardinality"],
  ...["array_position", "array_positions", "array_remove", "array_replace", "array_append"],
  ...["array_prepend", "array_cat", "array_to_string", "string_to_array", "trim_array"],
  // nulls
  ...["num_nulls", "num_nonnulls"],
  // vectors (pgvector)
  ...["vector_dims", "vector_norm", "l2_normalize", "cosine_distance", "l2_distance"],
  ...["inner_product", "l1_distance"],
];

/** Every function a feature expression may call: the allowlist, nothing outside it. */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([...SCALAR_FUNCTIONS, ...AGGREGATES]);

/**
 * Why a call to the function named `parts` (as parsed: unquoted names lower-cased, quoted ones
 * as written) is refused, or undefined when it is allowed.
 */
export function functionRefusal(parts: string[]): string | undefined {
  const written = `${parts.join(".")}()`;
  const [schema, name] = parts.length === 1 ? ["pg_catalog", parts[0]] : parts;
  if (parts.length > 2 || schema !== "pg_catalog")
    return `must not call ${written}: only built-in functions, unqualified or in pg_catalog, may be called`;
  if (!ALLOWED_FUNCTIONS.has(name as string))
    return `must not call ${written}: it is not among the functions a feature may use`;
  return undefined;
}
