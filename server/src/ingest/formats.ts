import { extname } from "node:path";

/** The files `rapfs ingest` reads; apart from their readers, so the CLI can name them cheaply. */
export const INGEST_FORMATS = ["csv", "ndjson", "parquet"] as const;
export type IngestFormat = (typeof INGEST_FORMATS)[number];

const EXTENSIONS: Record<string, IngestFormat> = {
  ".csv": "csv",
  ".ndjson": "ndjson",
  ".jsonl": "ndjson",
  ".parquet": "parquet",
};

export function ingestFormatOf(path: string): IngestFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}
