import {
  type CreatedKey,
  type CreateKeyInput,
  DEFAULT_ROTATION_GRACE_SECONDS,
  type Descendants,
  type KeyInfo,
} from "../access/key-store";
import { missingScopes } from "../access/scopes";
import { DomainError } from "../errors";
import type { Services } from "./context";
import type { Payer } from "./payer";

/** A key of the caller's account; never more scopes than the caller's, nor a later expiry. */
export function createKey(services: Services, input: CreateKeyInput, payer: Payer): Promise<CreatedKey> {
  const { principal } = payer;
  return services.access.keys.create(principal.accountId, input, {
    grantedBy: principal.scopes,
    creator: principal,
  });
}

export function listKeys(services: Services, payer: Payer): Promise<KeyInfo[]> {
  return services.access.keys.list(payer.principal.accountId);
}

/** Revokes a key of the caller's account (and its descendants, unless kept), sparing the caller's own. */
export function revokeKey(
  services: Services,
  request: { id: string; descendants: Descendants },
  payer: Payer,
): Promise<KeyInfo & { descendantsRevoked: number }> {
  const { principal } = payer;
  return services.access.keys.revoke(principal.accountId, request.id, {
    descendants: request.descendants,
    spare: principal.keyId,
  });
}

export type RotatedKey = CreatedKey & { previous: KeyInfo; descendantsRevoked: number; graceSeconds: number };

/** A successor with the key's scopes, which the caller must hold; the old key reads until its grace ends. */
export async function rotateKey(
  services: Services,
  request: { id: string; graceSeconds?: number | undefined; descendants?: Descendants | undefined },
  payer: Payer,
): Promise<RotatedKey> {
  const { principal } = payer;
  const { keys } = services.access;
  const graceSeconds = request.graceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS;
  const target = await keys.get(principal.accountId, request.id);
  const missing = missingScopes(principal.scopes, target.scopes);
  if (missing.length > 0) {
    throw new DomainError("FORBIDDEN", `This key cannot rotate a key with ${missing.join(", ")}`);
  }
  const rotated = await keys.rotate(principal.accountId, request.id, {
    graceSeconds,
    descendants: request.descendants ?? "keep",
    caller: principal,
  });
  return { ...rotated, graceSeconds };
}
