#!/usr/bin/env node
// The bin is a file of the source, not of the build, so installing a clone links it before the
// SDK is built (pnpm warned that dist/cli.js did not exist). It runs the built codegen.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (existsSync(cli)) await import(cli.href);
else {
  process.stderr.write("rapfs-sdk: the SDK is not built here; run `pnpm --filter @rapfs/sdk build` first\n");
  process.exitCode = 1;
}
