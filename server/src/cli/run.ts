import { type Command, CommanderError } from "commander";
import { ConfigError } from "../config/config-error";

/** Exit codes scripts can trust. */
export const ExitCode = { ok: 0, failure: 1, usage: 2, config: 78 } as const;

/** A failure the user can fix; printed without a stack trace. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failure,
  ) {
    super(message);
  }
}

export async function runCli(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`rapfs: ${error.message}\n`);
      process.exitCode = ExitCode.config;
      return;
    }
    if (error instanceof CliError) {
      process.stderr.write(`rapfs: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    const err = error as Error;
    process.stderr.write(`rapfs: ${err.name === "Error" ? "" : `${err.name}: `}${err.message}\n`);
    if (process.env.LOG_LEVEL === "debug") process.stderr.write(`${err.stack}\n`);
    process.exitCode = ExitCode.failure;
  }
}
