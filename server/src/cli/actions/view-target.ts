import { CliError, ExitCode } from "../run";

/** `view` or `view@version`, as materialize and quarantine name one view. */
export function parseTarget(target: string | undefined): { name: string; version?: number } | undefined {
  if (!target) return undefined;
  const match = /^([a-z][a-z0-9_]*)(?:@([1-9][0-9]*))?$/.exec(target);
  if (!match?.[1]) throw new CliError(`"${target}" is not view or view@version`, ExitCode.usage);
  return { name: match[1], ...(match[2] ? { version: Number(match[2]) } : {}) };
}
