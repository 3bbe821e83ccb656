import type { Command } from "commander";
import type { CodegenOptions } from "../actions/codegen";

export function registerCodegenCommand(program: Command): void {
  program
    .command("codegen")
    .description("write a .d.ts that types @rapfs/sdk with this registry's entities, features and services")
    .option("--out <file>", "where to write it", "rapfs.d.ts")
    .option("--dir <dir>", "definitions directory (default: RAPFS_DEFINITIONS_DIR or feature-definitions/)")
    .option("--url <url>", "read a running server's registry instead (key from --api-key or RAPFS_API_KEY)")
    .option("--api-key <key>", "API key for --url")
    .action(async (opts: CodegenOptions) => {
      const { writeRegistryTypes } = await import("../actions/codegen");
      await writeRegistryTypes(opts);
    });
}
