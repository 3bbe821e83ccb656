import type { Command } from "commander";

export function registerPlanCommand(program: Command): void {
  program
    .command("plan")
    .description("show what `apply` would do with feature-definitions/ (new versions, updates, refusals)")
    .option("--dir <dir>", "definitions directory (default: RAPFS_DEFINITIONS_DIR or feature-definitions/)")
    .action(async (opts: { dir?: string }) => {
      const { runApply } = await import("../actions/apply");
      await runApply({ dryRun: true, ...opts });
    });
}
