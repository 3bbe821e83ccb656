import type { BuildResult } from "esbuild";

/** The built CLI's file URL: the cached bundle when its sources are unchanged, else a new one. */
export function builtCli(): Promise<string>;
/** One TypeScript entry and its local imports as one module at `outfile` (inside server/). */
export function bundleModule(entry: string, outfile: string): Promise<BuildResult<{ metafile: true }>>;
