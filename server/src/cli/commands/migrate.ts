import type { Command } from "commander";
import { loadConfig } from "../../config/env";
import { migrate } from "../../db/migrate";
import { openCliDatabase } from "../open-database";

export function registerMigrateCommand(program: Command): void {
  program
    .command("migrate")
    .description("apply pending database migrations (from migrations/)")
    .action(async () => {
      const config = loadConfig();
      const db = await openCliDatabase(config, { create: true });
      try {
        const result = await migrate(db.sql, config.migrationsDir);
        const applied = result.applied.length ? result.applied.join(", ") : "nothing to apply";
        process.stdout.write(`migrations: ${applied} (${result.alreadyApplied} already applied)\n`);
      } finally {
        await db.close();
      }
    });
}
