import type { Command } from "commander";

export function registerMaterializeCommand(program: Command): void {
  program
    .command("materialize")
    .description("materialize applied views: incremental where a watermark exists, full otherwise")
    .argument("[view]", "one view (view or view@version); all when omitted")
    .option("--full", "rebuild from scratch (staging table swapped in atomically)")
    .action(async (target: string | undefined, opts: { full?: boolean }) => {
      const { materializeAction } = await import("../actions/materialize");
      await materializeAction(target, opts);
    });
}
