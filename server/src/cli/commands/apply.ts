import type { Command } from "commander";

export function registerApplyCommand(program: Command): void {
  program
    .command("apply")
    .description(
      "apply feature-definitions/: create new view versions' tables and record them in the registry",
    )
    .option("--dir <dir>", "definitions directory (default: RAPFS_DEFINITIONS_DIR or feature-definitions/)")
    .action(async (opts: { dir?: string }) => {
      const { runApply } = await import("../actions/apply");
      await runApply({ dryRun: false, ...opts });
    });
}
