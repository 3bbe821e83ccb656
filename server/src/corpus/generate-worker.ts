import { parentPort, workerData } from "node:worker_threads";
import { firstAnalysisIds, generateChunk } from "./chunks";
import type { CopyFormat } from "./copy-text";
import { corpusPlan } from "./scale";
import { createContext } from "./tracks";

/** A generator thread: answers each [start, end) request with that chunk, in request order. */
const { seed, scale, format } = workerData as { seed: number; scale: number; format: CopyFormat };
const ctx = createContext(seed, corpusPlan(scale));
const firstIds = firstAnalysisIds(ctx);
parentPort?.on("message", ([start, end]: [number, number]) => {
  const chunk = generateChunk(ctx, firstIds, start, end, format);
  parentPort?.postMessage(chunk, [chunk.tracks.buffer as ArrayBuffer, chunk.analyses.buffer as ArrayBuffer]);
});
