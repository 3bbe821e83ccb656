import type { Command } from "commander";

export function registerQuarantineCommand(program: Command): void {
  program
    .command("quarantine")
    .description(
      "list the analyses views skip because their SQL cannot read them (each track keeps its previous analysis)",
    )
    .argument("[view]", "one view (view or view@version); all when omitted")
    .option("--json", "one JSON object per line")
    .action(async (target: string | undefined, opts: { json?: boolean }) => {
      const { quarantineAction } = await import("../actions/quarantine");
      await quarantineAction(target, opts);
    });
}
