#!/usr/bin/env node
import { Command } from "commander";
import { registerCorpusCommand } from "./commands/corpus";
import { registerKeysCommand } from "./commands/keys";
import { registerMigrateCommand } from "./commands/migrate";
import { registerStartCommand } from "./commands/start";
import { runCli } from "./run";

const program = new Command()
  .name("rapfs")
  .description("rapfs — a feature store for machine learning on rap lyrics analyses")
  .showHelpAfterError()
  .exitOverride();

registerStartCommand(program);
registerMigrateCommand(program);
registerCorpusCommand(program);
registerKeysCommand(program);

await runCli(program, process.argv);
