import type { Command } from "commander";

export function registerMigrateCommand(program: Command): void {
  program
    .command("migrate")
    .description("apply pending database migrations (from migrations/)")
    .action(async () => {
      const { migrateAction } = await import("../actions/migrate");
      await migrateAction();
    });
}
