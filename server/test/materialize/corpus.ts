import { join } from "node:path";
import { repoRoot } from "../../src/config/paths";
import { generateCorpus } from "../../src/corpus/index";
import type { Database } from "../../src/db/database";
import { applyDefinitions } from "../../src/registry/apply";
import { openEmbeddedTestDatabase } from "../support/databases";

export const SHIPPED_DEFINITIONS = join(repoRoot, "feature-definitions");

/** In-memory PGlite with the scale-0.01 corpus (~577 tracks) and the shipped definitions applied. */
export async function corpusDatabase(seed = 11): Promise<Database> {
  const db = await openEmbeddedTestDatabase();
  await generateCorpus(db, { scale: 0.01, seed });
  await applyDefinitions(db.sql, SHIPPED_DEFINITIONS);
  return db;
}

export type Analysis = {
  id: number;
  track_id: number;
  analyzer_type: string;
  sentiment: string | null;
  confidence: number | null;
  complexity_score: number | null;
  analysis_data: Record<string, unknown> | null;
  created_at: Date;
  model_version: string | null;
};

export async function rawAnalyses(db: Database, analyzer?: string): Promise<Analysis[]> {
  const rows = await db.sql<Analysis[]>`
    select id, track_id, analyzer_type, sentiment, confidence::float8 as confidence,
      complexity_score::float8 as complexity_score, analysis_data, created_at, model_version
    from analysis_results where ${analyzer ?? null}::text is null or analyzer_type = ${analyzer ?? null}`;
  return rows;
}

/** The newest analysis per track (created_at, then id), computed here rather than in SQL. */
export function latestPerTrack(analyses: Analysis[], asOf?: Date): Map<number, Analysis> {
  const latest = new Map<number, Analysis>();
  for (const a of analyses) {
    if (asOf && a.created_at > asOf) continue;
    const current = latest.get(a.track_id);
    const newer =
      !current ||
      a.created_at > current.created_at ||
      (a.created_at.getTime() === current.created_at.getTime() && a.id > current.id);
    if (newer) latest.set(a.track_id, a);
  }
  return latest;
}

export const num = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

/** What qwen_analysis@2 should hold for one analysis, written independently of the YAML's SQL. */
export function expectedQwenV2(a: Analysis) {
  const d = a.analysis_data ?? {};
  const sentiment = a.sentiment?.toLowerCase() ?? null;
  const polarity = { positive: 1, negative: -1, neutral: 0 } as Record<string, number>;
  const quality = num(d.quality_score);
  const parts = [d.commercial_potential, d.viral_potential, d.longevity].map(num);
  return {
    track_id: a.track_id,
    event_timestamp: a.created_at,
    sentiment,
    sentiment_polarity: sentiment !== null && sentiment in polarity ? polarity[sentiment] : null,
    confidence: a.confidence,
    themes: (d.themes as string[] | undefined) ?? null,
    theme_count: Array.isArray(d.themes) ? d.themes.length : null,
    mood: typeof d.mood === "string" ? d.mood.toLowerCase() : null,
    quality: quality === null ? null : Math.min(Math.max((quality - 1) / 9, 0), 1),
    commercial_potential: parts[0],
    viral_potential: parts[1],
    longevity: parts[2],
    hit_potential: parts.some((p) => p === null)
      ? null
      : ((parts[0] ?? 0) + (parts[1] ?? 0) + (parts[2] ?? 0)) / 3,
    complexity_score: a.complexity_score,
    model_version: a.model_version,
    analyzed_at: a.created_at,
  };
}

/** Compares rows field by field; floats to 9 digits. Returns the differences (empty when equal). */
export function differences(
  actual: Record<string, unknown>[],
  expected: Record<string, unknown>[],
  key: string,
) {
  const out: string[] = [];
  const byKey = new Map(actual.map((r) => [String(r[key]), r]));
  if (actual.length !== expected.length) out.push(`row count ${actual.length} ≠ ${expected.length}`);
  for (const e of expected) {
    const a = byKey.get(String(e[key]));
    if (!a) {
      out.push(`${key}=${e[key]} missing`);
      continue;
    }
    for (const [field, value] of Object.entries(e)) {
      const got = a[field];
      const same =
        typeof value === "number" && typeof got === "number"
          ? Math.abs(value - got) <= 1e-9 * Math.max(1, Math.abs(value))
          : JSON.stringify(got) === JSON.stringify(value);
      if (!same)
        out.push(`${key}=${e[key]} ${field}: got ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
    }
  }
  return out.slice(0, 20);
}
