import { z } from "@hono/zod-openapi";

/**
 * A whole number from a query or path string, written in decimal digits and within [min, max].
 * `z.coerce.number()` took whatever Number() takes: `1e3`, `0x10`, ` 5` and `5.0` were 1000, 16
 * and 5, so a typo was answered as if meant, and the OpenAPI document's integer was not what the
 * server read.
 */
export const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .max(String(max).length + 4)
    .regex(/^[0-9]+$/, "must be a whole number in decimal digits")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .openapi({ type: "integer", minimum: min, maximum: max });

/**
 * wholeNumber with a default: the OpenAPI document states it too (a schema given its own type is
 * not derived from zod's, so `.default()` alone would not show there).
 */
export const wholeNumberOr = (min: number, max: number, fallback: number) =>
  wholeNumber(min, max).default(fallback).openapi({ default: fallback });
