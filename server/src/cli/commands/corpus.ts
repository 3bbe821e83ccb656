import type { Command } from "commander";

export function registerCorpusCommand(program: Command): void {
  program.command("corpus").description("the synthetic demo corpus");
}
