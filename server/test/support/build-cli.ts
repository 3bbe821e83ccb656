import { builtCli } from "../../bin/built-entry.mjs";

/**
 * vitest's global setup: the CLI built once before any test file starts a `rapfs` child, so the
 * files running beside each other do not each bundle it on their first spawn.
 */
export default async function buildCli(): Promise<void> {
  await builtCli();
}
