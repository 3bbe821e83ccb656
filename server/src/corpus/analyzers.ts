import type { Rng } from "./random";
import type { AnalyzerType } from "./scale";

export const DAY = 86_400_000;
const at = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

/** No first analysis is later than this; every analyzer releases a newer version after it. */
export const FIRST_ANALYSES_END = at("2025-09-14");

export type AnalyzerKind = "llm" | "emotion" | "algorithmic" | "simplified";

export type AnalyzerSpec = {
  type: AnalyzerType;
  kind: AnalyzerKind;
  /** When it started; tracks older than that were analysed in a backfill of `backfillDays`. */
  start: number;
  backfillDays: number;
  /** Median delay between a new track and its analysis. */
  delayMinutes: number;
  versions: { name: string; from: number }[];
  latencyMs: number;
  confidence: number;
  /** How far its readings stray from the track's true character. */
  noise: number;
};

const spec = (
  type: AnalyzerType,
  kind: AnalyzerKind,
  versions: [string, string][],
  rest: Omit<AnalyzerSpec, "type" | "kind" | "start" | "versions">,
): AnalyzerSpec => ({
  type,
  kind,
  start: at((versions[0] as [string, string])[1]),
  versions: versions.map(([version, from]) => ({ name: `${type}@${version}`, from: at(from) })),
  ...rest,
});

export const ANALYZERS: Record<AnalyzerType, AnalyzerSpec> = {
  "qwen-3-4b-fp8": spec(
    "qwen-3-4b-fp8",
    "llm",
    [
      ["1.0", "2025-05-01"],
      ["1.1", "2025-07-20"],
      ["2.0", "2025-10-05"],
    ],
    { backfillDays: 75, delayMinutes: 180, latencyMs: 1400, confidence: 0.82, noise: 0.12 },
  ),
  "gemma-3-27b-it": spec(
    "gemma-3-27b-it",
    "llm",
    [
      ["1.0", "2025-03-20"],
      ["1.1", "2025-06-15"],
      ["2.0", "2025-10-01"],
    ],
    { backfillDays: 60, delayMinutes: 720, latencyMs: 5200, confidence: 0.88, noise: 0.08 },
  ),
  algorithmic: spec(
    "algorithmic",
    "algorithmic",
    [
      ["1.0", "2019-01-01"],
      ["1.1", "2021-03-01"],
      ["1.2", "2023-06-01"],
      ["2.0", "2025-09-20"],
    ],
    { backfillDays: 1, delayMinutes: 5, latencyMs: 4, confidence: 1, noise: 0 },
  ),
  "emotion-distilroberta": spec(
    "emotion-distilroberta",
    "emotion",
    [
      ["1.0", "2021-06-01"],
      ["1.1", "2023-02-01"],
      ["2.0", "2025-09-25"],
    ],
    { backfillDays: 45, delayMinutes: 60, latencyMs: 60, confidence: 0.7, noise: 0.35 },
  ),
  simplified_features: spec(
    "simplified_features",
    "simplified",
    [
      ["1.0", "2019-01-01"],
      ["1.1", "2022-01-10"],
      ["2.0", "2025-09-22"],
    ],
    { backfillDays: 1, delayMinutes: 3, latencyMs: 2, confidence: 1, noise: 0 },
  ),
  "ollama-llama3.1-8b": spec(
    "ollama-llama3.1-8b",
    "llm",
    [
      ["1.0", "2024-08-01"],
      ["1.1", "2025-01-15"],
      ["1.2", "2025-09-28"],
    ],
    { backfillDays: 30, delayMinutes: 240, latencyMs: 3100, confidence: 0.74, noise: 0.2 },
  ),
};

export type AnalysisTime = { at: number; version: string };

/**
 * When a track's analyses happened: the first soon after the track (or in the backfill when the
 * analyzer came later), each re-run after the next model version shipped and with that version.
 */
export function analysisTimes(
  spec: AnalyzerSpec,
  trackCreated: number,
  runs: number,
  rng: Rng,
): AnalysisTime[] {
  let t =
    trackCreated < spec.start
      ? spec.start + rng.next() * spec.backfillDays * DAY
      : trackCreated + spec.delayMinutes * 60_000 * Math.exp(rng.normal(0, 0.8));
  t = Math.max(trackCreated + 60_000, Math.min(t, FIRST_ANALYSES_END));
  let v = 0;
  while (v + 1 < spec.versions.length && (spec.versions[v + 1]?.from ?? 0) <= t) v++;
  const times: AnalysisTime[] = [];
  for (let run = 0; run < runs; run++) {
    if (run > 0) {
      v = Math.min(v + 1, spec.versions.length - 1);
      t = Math.max(t + 7 * DAY, spec.versions[v]?.from ?? 0) + rng.next() * 40 * DAY;
    }
    times.push({ at: Math.floor(t / 1000) * 1000, version: spec.versions[v]?.name ?? "" });
  }
  return times;
}

export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}
