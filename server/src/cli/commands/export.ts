import type { Command } from "commander";
import { FORMATS } from "../../datasets/encode/formats";
import type { ExportOptions } from "../actions/export";

export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description(
      "export a dataset (or service:<name>) to a file, with its card as <name>.README.md and <name>.card.json",
    )
    .argument("<dataset>", "a dataset name, or service:<name> for a feature service")
    .option("--format <format>", `one of ${FORMATS.join(", ")}`, "parquet")
    .option("--out <file>", "where to write (default: <dataset>.<format extension>)")
    .option("--features <refs>", "comma-separated feature references instead of the dataset's")
    .option("--service <name>", "a feature service's features instead of the dataset's")
    .option("--embeddings <names>", "comma-separated embeddings to add as <name>_embedding columns")
    .option("--as-of <timestamp>", "features as of this ISO 8601 time (UTC unless an offset is given)")
    .option("--limit <n>", "at most this many rows")
    .action(async (dataset: string, opts: ExportOptions) => {
      const { exportAction } = await import("../actions/export");
      await exportAction(dataset, opts);
    });
}
