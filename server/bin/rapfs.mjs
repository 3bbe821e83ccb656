#!/usr/bin/env node
// The `rapfs` command (`pnpm rapfs`, `pnpm start`, or this file run directly): the CLI built from
// server/src to one JavaScript module, cached until a source changes (built-entry.mjs).
// RAPFS_FROM_SOURCE=1 runs the TypeScript sources through tsx instead, as the tests do.
import { builtCli } from "./built-entry.mjs";

async function fromSource() {
  const { register } = await import("tsx/esm/api");
  // server/tsconfig.json, wherever the command runs: its paths take @rapfs/sdk from source.
  register({ tsconfig: new URL("../tsconfig.json", import.meta.url).pathname });
  return new URL("../src/cli/main.ts", import.meta.url).href;
}

let entry;
if (process.env.RAPFS_FROM_SOURCE === "1") entry = await fromSource();
else {
  try {
    entry = await builtCli();
  } catch (error) {
    process.stderr.write(`rapfs: could not build the CLI (${error.message}); running it from source\n`);
    entry = await fromSource();
  }
}
await import(entry);
