import type { Command } from "commander";
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

export function registerKeysCommand(program: Command): void {
  const keys = program.command("keys").description("API keys and accounts");

  keys
    .command("create")
    .description("create a key (and its account if new); the key is printed once, on stdout")
    .requiredOption("--email <email>", "the account's email address")
    .option("--name <name>", "the account's name, for a new account")
    .option("--tier <tier>", "free, pro, admin or a tier from RAPFS_TIERS (new accounts: free)")
    .option("--scopes <list>", "comma-separated scopes (default: every scope but admin)")
    .option("--key-name <name>", "a label for the key", "cli")
    .option("--expires-in-days <days>", "expire the key after this many days", Number)
    .action(async (options: CreateKeyOptions) => {
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
    });

  keys
    .command("generate")
    .description("print a new random key without storing it (e.g. for RAPFS_ADMIN_KEY)")
    .action(() => {
      process.stdout.write(`${generateKey().key}\n`);
    });
}
