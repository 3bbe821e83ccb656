#!/usr/bin/env node
// The `rapfs` command (`pnpm exec rapfs` in the workspace): the CLI from source through tsx, as `pnpm rapfs` runs it.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
