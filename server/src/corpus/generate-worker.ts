import { parentPort, workerData } from "node:worker_threads";
import { firstAnalysisIds, generateChunk } from "./chunks";
import { corpusPlan } from "./plan";
import { createContext } from "./tracks";

/** A generator thread: answers each [start, end) request with that chunk, in request order. */
const { seed, scale } = workerData as { seed: number; scale: number };
const ctx = createContext(seed, corpusPlan(scale));
const firstIds = firstAnalysisIds(ctx);
parentPort?.on("message", ([start, end]: [number, number]) => {
  const chunk = generateChunk(ctx, firstIds, start, end);
  parentPort?.postMessage(chunk, [chunk.tracks.buffer as ArrayBuffer, chunk.analyses.buffer as ArrayBuffer]);
});
