import type { CopyType } from "./copy-binary";

/**
 * The corpus tables as migrations/0001_corpus.sql creates them: each column in table order, with
 * the type binary COPY writes it as. The corpus writer, the compiler and the migration test read
 * them here.
 */
export const CORPUS_TABLES = {
  tracks: {
    id: "int4",
    title: "text",
    artist: "text",
    lyrics: "text",
    url: "text",
    created_at: "timestamp",
    spotify_data: "jsonb",
    audio_features: "jsonb",
    lyrics_embedding: "vector",
    audio_embedding: "vector",
  },
  analysis_results: {
    id: "int4",
    track_id: "int4",
    analyzer_type: "text",
    sentiment: "text",
    confidence: "numeric",
    themes: "text",
    analysis_data: "jsonb",
    created_at: "timestamp",
    complexity_score: "numeric",
    processing_time_ms: "int4",
    model_version: "text",
    analysis_embedding: "vector",
  },
} as const satisfies Record<string, Record<string, CopyType>>;

export type CorpusTable = keyof typeof CORPUS_TABLES;
export type CorpusColumn<T extends CorpusTable> = keyof (typeof CORPUS_TABLES)[T] & string;

/** A corpus table's column names, in table order. */
export function corpusColumns<T extends CorpusTable>(table: T): CorpusColumn<T>[] {
  return Object.keys(CORPUS_TABLES[table]) as CorpusColumn<T>[];
}
