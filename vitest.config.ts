import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const sdkSource = fileURLToPath(new URL("./sdk/src/index.ts", import.meta.url));

export default defineConfig({
  resolve: { alias: { "@rapfs/sdk": sdkSource } },
  test: {
    // CI also writes a JSON report that .ci/run turns into a plain "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: ".tmp/vitest.json" },
    projects: [
      {
        extends: true,
        test: {
          name: "server",
          root: "server",
          include: ["test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: { name: "sdk", root: "sdk", include: ["test/**/*.test.ts"], passWithNoTests: true },
      },
    ],
  },
});
