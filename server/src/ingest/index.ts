/**
 * The ingestion door: new tracks and analyses checked against the corpus schema and written in
 * one transaction each batch, the way incremental materialization needs them written (see
 * write.ts). The HTTP route, `rapfs ingest` and `rapfs corpus stream` all come through here.
 */
export { batchRowCount, refuseOversizeBatch } from "./check-rows";
export { MAX_BATCH_ROWS } from "./columns";
export { IngestFileError, openIngestFile, type Place } from "./files";
export { INGEST_FORMATS, type IngestFormat, ingestFormatOf } from "./formats";
export {
  batchDigest,
  FILE_ROWS_KEY_DAYS,
  IDEMPOTENCY_KEY_HOURS,
  IDEMPOTENCY_KEY_PATTERN,
  rowLink,
  rowsKey,
  writtenThrough,
} from "./idempotency";
export { problemPlace, type RowProblem } from "./problems";
export {
  type AnalysisInput,
  AnalysisInputSchema,
  type IngestBatch,
  type TrackInput,
  TrackInputSchema,
} from "./row-schemas";
export {
  databaseSink,
  type IngestSink,
  type StreamedInsert,
  type StreamOptions,
  type StreamProgress,
  type StreamReport,
  streamAnalyses,
} from "./stream";
export { STREAM_ANALYZERS } from "./stream-analyzers";
export {
  checkBatch,
  findBatchProblems,
  type IngestOptions,
  type IngestOutcome,
  type IngestResult,
  ingestBatch,
  type WrittenRows,
} from "./write";
