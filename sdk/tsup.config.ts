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
    // `npx @rapfs/sdk codegen …`: Node only, run by the package's one bin (bin/rapfs-sdk.js).
    entry: { cli: "src/codegen/cli.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    splitting: false,
    treeshake: true,
  },
]);
