#!/usr/bin/env node
// The bin is a file of the source, not of the build, so installing a clone links it before the
// SDK is built (pnpm warned that dist/cli.js did not exist). It runs the built codegen.
import("../dist/cli.js").catch((error) => {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("dist/cli.js")) throw error;
  process.stderr.write("rapfs-sdk: the SDK is not built here; run `pnpm --filter @rapfs/sdk build` first\n");
  process.exitCode = 1;
});
