import { type CopyType, copyBinary } from "../db/copy-binary";
import { CORPUS_TABLES, corpusColumns } from "../db/corpus-tables";
import { type AnalysisRow, analysisRows } from "./analyses";
import { type CopyFormat, copyLine } from "./copy-text";
import { ANALYZER_TYPES, type AnalyzerType } from "./scale";
import { type CorpusContext, type TrackRow, trackProfile, trackRow } from "./tracks";

/** Tracks [start, end) and their analyses as COPY data, encoded for a transfer between threads. */
export type CorpusChunk = {
  format: CopyFormat;
  start: number;
  end: number;
  tracks: Uint8Array<ArrayBuffer>;
  analyses: Uint8Array<ArrayBuffer>;
  analysisCount: number;
  byAnalyzer: Record<AnalyzerType, number>;
};

/** Tracks per chunk: one COPY of each table per chunk keeps memory flat and progress fine-grained. */
export const TRACKS_PER_CHUNK = 1000;

export function chunkRanges(tracks: number, size = TRACKS_PER_CHUNK): [number, number][] {
  const ranges: [number, number][] = [];
  for (let start = 0; start < tracks; start += size) ranges.push([start, Math.min(tracks, start + size)]);
  return ranges;
}

/**
 * The id of each track's first analysis: ids run in track order, and the layout fixes how many
 * analyses each track has, so any thread can number any chunk without the ones before it.
 */
export function firstAnalysisIds(ctx: CorpusContext): Uint32Array {
  const first = new Uint32Array(ctx.plan.tracks + 1);
  let next = 1;
  for (let i = 0; i < ctx.plan.tracks; i++) {
    first[i] = next;
    for (const type of ANALYZER_TYPES) next += ctx.layout.runs[type][i] as number;
  }
  first[ctx.plan.tracks] = next;
  return first;
}

const encoder = new TextEncoder();

export function generateChunk(
  ctx: CorpusContext,
  firstIds: Uint32Array,
  start: number,
  end: number,
  format: CopyFormat,
): CorpusChunk {
  const byAnalyzer = Object.fromEntries(ANALYZER_TYPES.map((t) => [t, 0])) as Record<AnalyzerType, number>;
  let nextId = (firstIds[start] as number) - 1;
  const tracks: TrackRow[] = [];
  const analyses: AnalysisRow[] = [];
  for (let i = start; i < end; i++) {
    const profile = trackProfile(ctx, i);
    tracks.push(trackRow(ctx, profile));
    for (const row of analysisRows(ctx, profile, () => ++nextId)) {
      analyses.push(row);
      byAnalyzer[row.analyzer_type as AnalyzerType]++;
    }
  }
  const analysisCount = nextId + 1 - (firstIds[start] as number);
  if (nextId + 1 !== firstIds[end]) {
    throw new Error(`tracks ${start}–${end} gave ${analysisCount} analyses, the layout says otherwise`);
  }
  // Typed both ways: every column is a field of the row, and every field of the row a column.
  const encode = <Row>(
    rows: Row[],
    columns: readonly (keyof Row & string)[],
    types: Readonly<Record<keyof Row & string, CopyType>>,
  ) => (format === "binary" ? copyBinary(rows, columns, types) : copyText(rows, columns));
  return {
    format,
    start,
    end,
    tracks: encode(tracks, corpusColumns("tracks"), CORPUS_TABLES.tracks),
    analyses: encode(analyses, corpusColumns("analysis_results"), CORPUS_TABLES.analysis_results),
    analysisCount,
    byAnalyzer,
  };
}

function copyText<Row>(rows: Row[], columns: readonly (keyof Row & string)[]): Uint8Array<ArrayBuffer> {
  let text = "";
  for (const row of rows) text += copyLine(row, columns);
  return encoder.encode(text);
}
