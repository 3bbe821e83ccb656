/** Reads an environment variable where one exists (Node, Bun, Deno's `process`); never in browsers. */
export function readEnv(name: string): string | undefined {
  if (typeof process === "undefined") return undefined;
  const value = process.env?.[name]?.trim();
  return value ? value : undefined;
}
