import type { AnalyzerType } from "../corpus/scale";

/** The analyzers that cover (nearly) every track; ollama's few thousand analyses stay as they are. */
export const STREAM_ANALYZERS: readonly AnalyzerType[] = [
  "qwen-3-4b-fp8",
  "gemma-3-27b-it",
  "algorithmic",
  "emotion-distilroberta",
  "simplified_features",
];
