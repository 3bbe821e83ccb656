/** Reads an environment variable where one exists (Node, Bun, Deno's `process`); never in browsers. */
export function readEnv(name: string): string | undefined {
  if (typeof process === "undefined") return undefined;
  try {
    return process.env?.[name]?.trim() || undefined;
  } catch {
    // Deno without --allow-env throws rather than returning undefined.
    return undefined;
  }
}

/** Server-side runtimes, where a custom user-agent is neither refused nor CORS-preflighted. */
export function isServerRuntime(): boolean {
  return typeof process !== "undefined" && process.versions != null && typeof document === "undefined";
}
