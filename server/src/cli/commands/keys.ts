import type { Command } from "commander";
import type { CreateKeyOptions } from "../actions/keys";

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
      const { createKeyAction } = await import("../actions/keys");
      await createKeyAction(options);
    });

  keys
    .command("generate")
    .description("print a new random key without storing it (e.g. for RAPFS_ADMIN_KEY)")
    .action(async () => {
      const { generateKeyAction } = await import("../actions/keys");
      generateKeyAction();
    });
}
