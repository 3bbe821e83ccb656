import { type AccessServices, createAccessServices } from "../../access/access-services";
import { type Account, type AccountService, normalizeEmail } from "../../access/accounts";
import { generateKey } from "../../access/api-key-format";
import { loadAccessConfig } from "../../access/config";
import { accessError } from "../../access/errors";
import type { CreatedKey, KeyStore } from "../../access/key-store";
import { DEFAULT_SCOPES, parseScopes, type Scope } from "../../access/scopes";
import { assertTier } from "../../access/tiers";
import { loadConfig } from "../../config/env";
import { migrate } from "../../db/migrate";
import { isRefusal } from "../../errors";
import { openCliDatabase } from "../open-database";
import { CliError, ExitCode } from "../run";

export type CreateKeyOptions = {
  email: string;
  name?: string | undefined;
  tier?: string | undefined;
  scopes?: string | undefined;
  keyName?: string | undefined;
  expiresInDays?: number | undefined;
};

/** Checks the flags before any database is opened, so a typo costs nothing. */
export function parseCreateOptions(options: CreateKeyOptions): { scopes: Scope[]; expiresAt: Date | null } {
  const scopes = options.scopes ? parseScopes(options.scopes) : [...DEFAULT_SCOPES];
  const days = options.expiresInDays;
  if (days !== undefined && !(Number.isFinite(days) && days > 0)) {
    throw accessError("invalid_input", "--expires-in-days takes a positive number", "expiresInDays");
  }
  return { scopes, expiresAt: days === undefined ? null : new Date(Date.now() + days * 86_400_000) };
}

/**
 * The account with this email (created with `tier`, or moved to it) and a new key for it.
 * Operators may grant any scope, so no grantor check applies here.
 */
export async function createKeyForEmail(
  services: { accounts: AccountService; keys: KeyStore },
  options: CreateKeyOptions,
): Promise<{ account: Account; created: CreatedKey; accountCreated: boolean }> {
  const { scopes, expiresAt } = parseCreateOptions(options);
  let account = await services.accounts.findByEmail(options.email);
  const accountCreated = !account;
  if (!account) {
    account = await services.accounts.create({
      email: options.email,
      name: options.name ?? "",
      tier: options.tier ?? "free",
    });
  } else if (options.tier && options.tier !== account.tier) {
    account = await services.accounts.setTier(account.id, options.tier);
  }
  const created = await services.keys.create(account.id, {
    name: options.keyName ?? "cli",
    scopes,
    expiresAt,
  });
  return { account, created, accountCreated };
}

/** `rapfs keys create`: flags checked before the database opens; the key printed once, on stdout. */
export async function createKeyAction(options: CreateKeyOptions): Promise<void> {
  const config = loadConfig();
  const accessConfig = loadAccessConfig();
  try {
    parseCreateOptions(options);
    normalizeEmail(options.email);
    if (options.tier) assertTier(accessConfig.tiers, options.tier);
  } catch (error) {
    if (isRefusal(error)) throw new CliError(error.message, ExitCode.usage);
    throw error;
  }
  const db = await openCliDatabase(config);
  let access: AccessServices | undefined;
  try {
    await migrate(db.sql, config.migrationsDir);
    // With REDIS_URL, a tier change reaches running servers' key caches at once.
    access = await createAccessServices({ sql: db.sql, redisUrl: config.redisUrl, config: accessConfig });
    const { account, created, accountCreated } = await createKeyForEmail(access, options);
    process.stderr.write(
      `${accountCreated ? "created" : "using"} account ${account.email} (${account.id}, tier ${account.tier})\n` +
        `created key ${created.info.id} ${created.info.displayPrefix} scopes ${created.info.scopes.join(",")}` +
        `${created.info.expiresAt ? ` expires ${created.info.expiresAt.toISOString()}` : ""}\n` +
        "the key below is shown only this once; rapfs stores only its SHA-256 digest\n",
    );
    process.stdout.write(`${created.key}\n`);
  } catch (error) {
    if (isRefusal(error)) throw new CliError(error.message, ExitCode.usage);
    throw error;
  } finally {
    await access?.close();
    await db.close();
  }
}

/** `rapfs keys generate`: a key that is never stored. */
export function generateKeyAction(): void {
  process.stdout.write(`${generateKey().key}\n`);
}
