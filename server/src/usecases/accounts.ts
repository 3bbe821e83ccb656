import type { Account } from "../access/accounts";
import type { SignupAdmission, UsageReport } from "../access/gate";
import type { CreatedKey } from "../access/key-store";
import { DomainError } from "../errors";
import type { Services } from "./context";
import type { Payer } from "./payer";

/**
 * Self-service signup: an account and its first key. Anonymous, so it is limited per client
 * address (before the body is read) instead of by a key's quota.
 */
export function signup(
  services: Services,
  request: { email: string; name?: string | undefined },
): Promise<{ account: Account; key: CreatedKey }> {
  return services.access.accounts.signup({
    email: request.email,
    ...(request.name ? { name: request.name } : {}),
  });
}

/** Counts one signup attempt from `clientAddress` and reserves one account for it. */
export function admitSignup(services: Services, clientAddress: string): Promise<SignupAdmission> {
  return services.access.gate.signup(clientAddress);
}

/** The caller's current windows (nothing spent) and daily history. */
export function usage(services: Services, request: { days: number }, payer: Payer): Promise<UsageReport> {
  return services.access.gate.usage(payer.principal, request.days);
}

export function listAccounts(
  services: Services,
  request: { limit: number; after?: string | undefined },
): Promise<Account[]> {
  return services.access.accounts.list({
    limit: request.limit,
    ...(request.after ? { after: request.after } : {}),
  });
}

/** An admin's change to an account's tier or state; never disabling the admin's own account. */
export async function updateAccount(
  services: Services,
  request: { id: string; tier?: string | undefined; disabled?: boolean | undefined },
  payer: Payer,
): Promise<Account> {
  const { accounts } = services.access;
  const { id } = request;
  if (request.disabled === true && id === payer.principal.accountId) {
    throw new DomainError("CONFLICT", "An admin cannot disable the account of the key it is using");
  }
  let account = await accounts.get(id);
  if (request.tier !== undefined && request.tier !== account.tier)
    account = await accounts.setTier(id, request.tier);
  if (request.disabled === true) account = await accounts.disable(id);
  if (request.disabled === false) account = await accounts.enable(id);
  return account;
}
