import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["cjs", "esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  // Neutral, not node: the bundle must run unchanged in browsers and edge runtimes.
  platform: "neutral",
  target: "es2022",
  splitting: false,
  treeshake: true,
});
