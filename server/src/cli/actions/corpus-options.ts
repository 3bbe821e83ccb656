import { MAX_SCALE } from "../../corpus/scale";
import { CliError, ExitCode } from "../run";

/** --scale and --seed, as `corpus generate` and `corpus stream` take them. */
export function parseScale(raw: string): number {
  const scale = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) {
    throw new CliError(
      `--scale must be a number greater than 0 and at most ${MAX_SCALE} (1.0 is the full corpus), got "${raw}"`,
      ExitCode.usage,
    );
  }
  return scale;
}

export function parseSeed(raw: string): number {
  const seed = Number(raw);
  if (raw.trim() === "" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new CliError(`--seed must be a whole number ≥ 0, got "${raw}"`, ExitCode.usage);
  }
  return seed;
}
