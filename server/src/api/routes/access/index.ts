import type { App } from "../../env";
import { registerListAccounts } from "./admin-accounts-list";
import { registerUpdateAccount } from "./admin-accounts-update";
import { registerCreateKey } from "./keys-create";
import { registerListKeys } from "./keys-list";
import { registerRevokeKey } from "./keys-revoke";
import { registerRotateKey } from "./keys-rotate";
import { registerSignup } from "./signup";
import { registerUsage } from "./usage";

/** Signup, self-service keys, usage and account administration. */
export function registerAccessRoutes(app: App): void {
  registerSignup(app);
  registerListKeys(app);
  registerCreateKey(app);
  registerRotateKey(app);
  registerRevokeKey(app);
  registerUsage(app);
  registerListAccounts(app);
  registerUpdateAccount(app);
}
