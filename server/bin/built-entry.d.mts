import type { BuildResult } from "esbuild";

/**
 * The built CLI, cached while its sources are unchanged: `entry` is its file URL, `workers` maps
 * each worker thread's source URL to its built module's URL.
 */
export function builtCli(): Promise<{ entry: string; workers: Record<string, string> }>;
/** One TypeScript entry and its local imports as one module at `outfile` (inside server/). */
export function bundleModule(entry: string, outfile: string): Promise<BuildResult<{ metafile: true }>>;
