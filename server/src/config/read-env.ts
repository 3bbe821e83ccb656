import { z } from "zod";
import { ConfigError } from "./config-error";

/**
 * Reads one section of the environment with its schema (variable name → field). Every bad
 * variable is named in one ConfigError, a line each: `  RAPFS_X: what it must be`.
 */
export function readEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
}

/** A URL with one of these schemes; empty or blank is unset. */
export const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === "" ? undefined : value))
    .refine((value) => value === undefined || protocols.some((p) => value.startsWith(`${p}://`)), {
      message: `must start with ${protocols.map((p) => `${p}://`).join(" or ")}`,
    });

/** An integer in [min, max], `fallback` when unset; zod's own messages. */
export const intIn = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** Trimmed text; empty or blank is unset. */
export const trimmedText = () =>
  z
    .string()
    .optional()
    .transform((value) => value?.trim() || undefined);

/** A number as `Number()` reads the text (`fallback` when unset), refused with `message` unless `valid`. */
export const numberWhere = (fallback: number, valid: (n: number) => boolean, message: string) =>
  z
    .string()
    .optional()
    .transform((value) => Number(value ?? fallback))
    .refine(valid, message);

/** An integer in [min, max] read as `Number()` reads it, refused with `message` otherwise. */
export const integerWhere = (fallback: number, min: number, max: number, message: string) =>
  numberWhere(fallback, (n) => Number.isInteger(n) && n >= min && n <= max, message);
