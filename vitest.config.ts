import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const sdkSource = fileURLToPath(new URL("./sdk/src/index.ts", import.meta.url));

export default defineConfig({
  resolve: { alias: { "@rapfs/sdk": sdkSource } },
  test: {
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
