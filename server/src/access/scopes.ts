import { accessError } from "./errors";

export const SCOPES = ["features:read", "embeddings:read", "datasets:read", "keys:manage", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** What a self-service signup's first key may do: everything except administration. */
export const DEFAULT_SCOPES: readonly Scope[] = [
  "features:read",
  "embeddings:read",
  "datasets:read",
  "keys:manage",
];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** `admin` implies every other scope, so an operator key never needs the full list. */
export function hasScope(granted: readonly string[], required: Scope): boolean {
  return granted.includes(required) || granted.includes("admin");
}

/** A key may only hand out what it holds itself, so keys:manage cannot escalate to admin. */
export function missingScopes(granted: readonly string[], requested: readonly Scope[]): Scope[] {
  return requested.filter((scope) => !hasScope(granted, scope));
}

export function parseScopes(list: string): Scope[] {
  const parts = [...new Set(list.split(",").map((s) => s.trim()))].filter((s) => s !== "");
  const unknown = parts.filter((s) => !isScope(s));
  if (unknown.length > 0 || parts.length === 0) {
    throw accessError(
      "invalid_input",
      `${unknown.length ? `Unknown scope ${unknown.join(", ")}` : "No scope given"}; scopes are ${SCOPES.join(", ")}`,
      "scopes",
    );
  }
  return parts as Scope[];
}
