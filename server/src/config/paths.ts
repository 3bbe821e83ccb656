import { fileURLToPath } from "node:url";

/** The repository root, where migrations/ and feature-definitions/ live. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
