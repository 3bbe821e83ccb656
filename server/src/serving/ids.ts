import { DomainError, type FieldError } from "../errors";
import type { EntityInfo } from "../registry";
import type { CatalogState } from "./catalog";
import { closeMatches } from "./suggest";

/** An entity id as the client sent it (number for int keys, string otherwise). */
export type EntityId = number | string;
/** The id as a typed value and as the online store's key text. */
export type ParsedId = { id: EntityId; key: string };

const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;
// tracks.artist is varchar(200).
const MAX_STRING_KEY = 200;

export function entityOf(state: CatalogState, name: string): EntityInfo {
  const entity = state.entities.get(name);
  if (entity) return entity;
  throw new DomainError("NOT_FOUND", `There is no entity ${name}.`, {
    extensions: { suggestions: closeMatches(name, state.entities.keys()) },
  });
}

/** One id from JSON (`fromText` false: an int key must be a JSON integer) or from a path segment. */
export function parseId(entity: EntityInfo, raw: unknown, fromText: boolean): ParsedId | string {
  if (entity.keyType === "int") {
    const value = fromText && typeof raw === "string" && /^-?[0-9]{1,10}$/.test(raw) ? Number(raw) : raw;
    if (typeof value !== "number" || !Number.isInteger(value)) {
      return `${entity.name} ids are integers (${entity.keyColumn}), got ${JSON.stringify(raw)}`;
    }
    if (value < INT_MIN || value > INT_MAX) return `${entity.name} ids are 32-bit integers, got ${value}`;
    return { id: value, key: String(value) };
  }
  if (typeof raw !== "string" || raw.length === 0) {
    return `${entity.name} ids are non-empty strings (${entity.keyColumn}), got ${JSON.stringify(raw)}`;
  }
  if (raw.length > MAX_STRING_KEY) return `${entity.name} ids have at most ${MAX_STRING_KEY} characters`;
  return { id: raw, key: raw };
}

/** Every id of a batch, in order with duplicates; all bad ones reported in one problem. */
export function parseIds(entity: EntityInfo, raw: readonly unknown[], field = "ids"): ParsedId[] {
  const parsed: ParsedId[] = [];
  const errors: FieldError[] = [];
  raw.forEach((value, index) => {
    const result = parseId(entity, value, false);
    if (typeof result === "string") {
      errors.push({
        in: "json",
        path: [field, index],
        pointer: `#/${field}/${index}`,
        detail: result,
        code: "invalid_id",
      });
    } else {
      parsed.push(result);
    }
  });
  if (errors.length > 0) {
    const detail =
      errors.length === 1
        ? `1 id is not a valid ${entity.name} id.`
        : `${errors.length} ids are not valid ${entity.name} ids.`;
    throw new DomainError("VALIDATION_FAILED", detail, { errors: errors.slice(0, 100) });
  }
  return parsed;
}

/** An id read back from the database as key text. */
export function idFromKey(entity: EntityInfo, key: string): ParsedId {
  return { id: entity.keyType === "int" ? Number(key) : key, key };
}

/** One id from the path; a bad one is a 400 naming the parameter. */
export function parsePathId(entity: EntityInfo, raw: string): ParsedId {
  const result = parseId(entity, raw, true);
  if (typeof result !== "string") return result;
  throw new DomainError("VALIDATION_FAILED", result, {
    errors: [{ in: "param", path: ["id"], pointer: "#/id", detail: result, code: "invalid_id" }],
  });
}
