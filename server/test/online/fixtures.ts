import type { OnlineRow } from "../../src/online/types";

export function makeRow(id: number | string, version = 1): OnlineRow {
  const n = Number(id);
  return {
    id: String(id),
    values: {
      sentiment: n % 2 === 0 ? "positive" : "negative",
      quality_score: (n % 10) + version / 10,
      explicit: n % 3 === 0,
      themes: ["money", `theme-${n % 5}`],
      missing_value: null,
      version,
    },
    eventTimestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, n % 60)).toISOString(),
  };
}

export const rows = (ids: number[], version = 1) => ids.map((id) => makeRow(id, version));
export const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
