import { ANALYSIS_DIMENSIONS, ANALYZER_TYPES, AUDIO_DIMENSIONS, LYRICS_DIMENSIONS } from "../corpus";

/**
 * The corpus columns a caller may write, as migrations/0001_corpus.sql declares them: what each
 * accepts and, for the files `rapfs ingest` reads, how a cell's text becomes that value.
 */
export type ColumnSpec =
  | { kind: "id" }
  | { kind: "int"; required?: boolean }
  | { kind: "number" }
  | { kind: "text"; maxChars?: number }
  | { kind: "enum"; values: readonly string[]; required: true }
  | { kind: "json" }
  | { kind: "timestamp" }
  | { kind: "vector"; dimensions: number };

export const TRACK_COLUMNS = {
  id: { kind: "id" },
  title: { kind: "text", maxChars: 500 },
  artist: { kind: "text", maxChars: 200 },
  lyrics: { kind: "text" },
  url: { kind: "text", maxChars: 500 },
  created_at: { kind: "timestamp" },
  spotify_data: { kind: "json" },
  audio_features: { kind: "json" },
  lyrics_embedding: { kind: "vector", dimensions: LYRICS_DIMENSIONS },
  audio_embedding: { kind: "vector", dimensions: AUDIO_DIMENSIONS },
} as const satisfies Record<string, ColumnSpec>;

export const ANALYSIS_COLUMNS = {
  track_id: { kind: "int", required: true },
  analyzer_type: { kind: "enum", values: ANALYZER_TYPES, required: true },
  sentiment: { kind: "text" },
  confidence: { kind: "number" },
  themes: { kind: "text" },
  analysis_data: { kind: "json" },
  created_at: { kind: "timestamp" },
  complexity_score: { kind: "number" },
  processing_time_ms: { kind: "int" },
  model_version: { kind: "text" },
  analysis_embedding: { kind: "vector", dimensions: ANALYSIS_DIMENSIONS },
} as const satisfies Record<string, ColumnSpec>;

/** The two kinds of rows a batch carries, by the name the batch gives them. */
export const INGEST_TABLES = {
  tracks: { table: "tracks", columns: TRACK_COLUMNS as Record<string, ColumnSpec> },
  analyses: { table: "analysis_results", columns: ANALYSIS_COLUMNS as Record<string, ColumnSpec> },
} as const;

export type IngestTable = keyof typeof INGEST_TABLES;

/** Rows (tracks and analyses together) one batch may carry: one short transaction's worth. */
export const MAX_BATCH_ROWS = 5_000;

/** A created_at later than the database's clock by more than this is refused. */
export const FUTURE_TOLERANCE_MS = 60_000;

export const INT4_MAX = 2_147_483_647;
