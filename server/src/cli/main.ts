#!/usr/bin/env node
import "../runtime/utc";
import { Command } from "commander";
import { registerApplyCommand } from "./commands/apply";
import { registerCodegenCommand } from "./commands/codegen";
import { registerCorpusCommand } from "./commands/corpus";
import { registerCorpusStream } from "./commands/corpus-stream";
import { registerExportCommand } from "./commands/export";
import { registerIngestCommand } from "./commands/ingest";
import { registerKeysCommand } from "./commands/keys";
import { registerMaterializeCommand } from "./commands/materialize";
import { registerMigrateCommand } from "./commands/migrate";
import { registerPlanCommand } from "./commands/plan";
import { registerQuarantineCommand } from "./commands/quarantine";
import { registerStartCommand } from "./commands/start";
import { runCli } from "./run";

const program = new Command()
  .name("rapfs")
  .description("rapfs — a feature store for machine learning on rap lyrics analyses")
  .showHelpAfterError()
  .exitOverride();

registerStartCommand(program);
registerMigrateCommand(program);
registerCorpusStream(registerCorpusCommand(program));
registerPlanCommand(program);
registerApplyCommand(program);
registerMaterializeCommand(program);
registerQuarantineCommand(program);
registerKeysCommand(program);
registerCodegenCommand(program);
registerExportCommand(program);
registerIngestCommand(program);

await runCli(program, process.argv);
