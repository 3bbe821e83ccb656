import type { Sql } from "../db/database";
import { displayPrefix, hashKey } from "./api-key-format";
import type { InvalidationBus } from "./invalidation";

export const ADMIN_ACCOUNT_EMAIL = "operator@rapfs.invalid";
const ADMIN_KEY_NAME = "RAPFS_ADMIN_KEY";

/**
 * Makes RAPFS_ADMIN_KEY a regular stored key (hashed) of an operator account, so the verifier
 * has no special case; a previous RAPFS_ADMIN_KEY is revoked when the variable changes.
 */
export async function bootstrapAdminKey(sql: Sql, bus: InvalidationBus, adminKey: string): Promise<void> {
  const hash = hashKey(adminKey);
  const revoked = await sql.begin(async (tx) => {
    const [account] = await tx<{ id: string }[]>`
      insert into accounts (email, name, tier) values (${ADMIN_ACCOUNT_EMAIL}, 'operator', 'admin')
      on conflict (email) do update set tier = 'admin', disabled_at = null
      returning id`;
    const accountId = (account as { id: string }).id;
    await tx`
      insert into api_keys (account_id, key_hash, display_prefix, name, scopes)
      values (${accountId}, ${hash}, ${displayPrefix(adminKey)}, ${ADMIN_KEY_NAME}, ${["admin"]})
      on conflict (key_hash) do update set revoked_at = null
      where api_keys.account_id = ${accountId}`;
    return tx<{ id: string }[]>`
      update api_keys set revoked_at = now()
      where account_id = ${accountId} and name = ${ADMIN_KEY_NAME} and key_hash <> ${hash}
        and revoked_at is null
      returning id`;
  });
  for (const { id } of revoked) await bus.publish({ kind: "key", id });
}
