/** A setting of the environment the user must fix; its own module, so the CLI knows it without zod. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
