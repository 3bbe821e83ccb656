import type { Command } from "commander";

export function registerStartCommand(program: Command): void {
  program
    .command("start")
    .description("start the server (embedded PostgreSQL by default; demo corpus on first start)")
    .action(async () => {
      const { startServer } = await import("../../runtime/start-server");
      await startServer();
    });
}
