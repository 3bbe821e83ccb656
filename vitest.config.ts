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
          exclude: ["test/reliability/**"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Load, fault and fuzz tests (pnpm test:reliability): minutes, real processes on loopback.
        extends: true,
        test: {
          name: "reliability",
          root: "server",
          include: ["test/reliability/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: { name: "sdk", root: "sdk", include: ["test/**/*.test.ts"], passWithNoTests: true },
      },
    ],
  },
});
