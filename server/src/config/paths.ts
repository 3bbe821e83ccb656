import { fileURLToPath } from "node:url";

/** The repository root, where migrations/ and feature-definitions/ live. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** A data directory value that keeps the embedded database in memory (tests). */
export const IN_MEMORY = ":memory:";
