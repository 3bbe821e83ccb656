import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: { index: "src/index.ts" },
    format: ["cjs", "esm"],
    dts: true,
    sourcemap: true,
    // Neutral, not node: the bundle must run unchanged in browsers and edge runtimes.
    platform: "neutral",
    target: "es2022",
    splitting: false,
    treeshake: true,
  },
  {
    // `npx @rapfs/sdk codegen …`: Node only, the package's one bin.
    entry: { cli: "src/codegen/cli.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    splitting: false,
    treeshake: true,
  },
]);
