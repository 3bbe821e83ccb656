/**
 * A small runtime schema: what codegen reads from a server is checked before it shapes a file
 * (a server of another version, or one that is not rapfs, answers the paths with other shapes).
 * The SDK's bundles carry no dependency, so this is the few checks codegen needs, not a library.
 */
export type Schema<T> = { parse(value: unknown, path: string): T };

export class SchemaError extends Error {
  override name = "SchemaError";
}

const fail = (path: string, wanted: string, value: unknown): never => {
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
  throw new SchemaError(`${path} is ${got}, not ${wanted}`);
};

export const string: Schema<string> = {
  parse: (value, path) => (typeof value === "string" ? value : fail(path, "a string", value)),
};

export const number: Schema<number> = {
  parse: (value, path) => (typeof value === "number" ? value : fail(path, "a number", value)),
};

export const boolean: Schema<boolean> = {
  parse: (value, path) => (typeof value === "boolean" ? value : fail(path, "a boolean", value)),
};

export function literal<const T extends string>(...values: T[]): Schema<T> {
  return {
    parse: (value, path) =>
      values.includes(value as T) ? (value as T) : fail(path, `one of ${values.join(", ")}`, value),
  };
}

export function array<T>(item: Schema<T>): Schema<T[]> {
  return {
    parse: (value, path) =>
      Array.isArray(value)
        ? value.map((v, i) => item.parse(v, `${path}[${i}]`))
        : fail(path, "an array", value),
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function record<T>(item: Schema<T>): Schema<Record<string, T>> {
  return {
    parse: (value, path) => {
      if (!isObject(value)) return fail(path, "an object", value);
      const out: Record<string, T> = {};
      for (const [key, v] of Object.entries(value)) out[key] = item.parse(v, `${path}.${key}`);
      return out;
    },
  };
}

/** A member that may be missing (an older server leaves it out). */
export type Optional<T> = Schema<T | undefined> & { optional: true };

export function optional<T>(item: Schema<T>): Optional<T> {
  return {
    optional: true,
    parse: (value, path) => (value === undefined ? undefined : item.parse(value, path)),
  };
}

type Shape = Record<string, Schema<unknown>>;
type Required<S extends Shape> = {
  [K in keyof S as S[K] extends Optional<unknown> ? never : K]: Parsed<S[K]>;
};
type Partial<S extends Shape> = {
  [K in keyof S as S[K] extends Optional<unknown> ? K : never]?: Parsed<S[K]>;
};
export type Parsed<S> = S extends Schema<infer T> ? T : never;

/** The named members only (others a server sends are dropped), each checked. */
export function object<S extends Shape>(shape: S): Schema<Required<S> & Partial<S>> {
  return {
    parse: (value, path) => {
      if (!isObject(value)) return fail(path, "an object", value);
      const out: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(shape)) {
        const parsed = member.parse(value[key], `${path}.${key}`);
        if (parsed !== undefined) out[key] = parsed;
      }
      return out as Required<S> & Partial<S>;
    },
  };
}
