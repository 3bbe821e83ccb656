import { z } from "zod";

const DURATION_UNITS = { s: 1, m: 60, h: 3600 } as const;

export function durationSeconds(duration: string): number {
  const unit = duration.slice(-1) as keyof typeof DURATION_UNITS;
  return Number(duration.slice(0, -1)) * DURATION_UNITS[unit];
}

/** A freshness objective: `30s`, `5m`, `1h` (5 s to 24 h), in a view's YAML or RAPFS_FRESHNESS_DEFAULT. */
export const freshnessDuration = z
  .string()
  .regex(/^[1-9][0-9]{0,4}[smh]$/, "must be a duration such as 30s, 5m or 1h")
  .refine((d) => {
    const seconds = durationSeconds(d);
    return seconds >= 5 && seconds <= 86_400;
  }, "must be between 5s and 24h");
