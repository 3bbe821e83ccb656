import type { Command } from "commander";
import { loadConfig } from "../../config/env";
import { openDatabase } from "../../db/database";
import { migrate } from "../../db/migrate";

export function registerMigrateCommand(program: Command): void {
  program
    .command("migrate")
    .description("apply pending database migrations (from migrations/)")
    .action(async () => {
      const config = loadConfig();
      const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const result = await migrate(db.sql, config.migrationsDir);
        const applied = result.applied.length ? result.applied.join(", ") : "nothing to apply";
        process.stdout.write(`migrations: ${applied} (${result.alreadyApplied} already applied)\n`);
      } finally {
        await db.close();
      }
    });
}
