import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { builtWorker } from "../db/typescript-worker";
import { nextTurn } from "../values/turns";
import { type CorpusChunk, chunkRanges, firstAnalysisIds, generateChunk } from "./chunks";
import type { CopyFormat } from "./copy-text";
import type { CorpusContext } from "./tracks";

/**
 * Generator threads by default: one per core (up to four). With binary COPY the database loads a
 * chunk in a ninth of the time it takes to generate, so generation is the slower side of the load.
 */
export const defaultGeneratorThreads = () => Math.max(1, Math.min(4, availableParallelism()));

/**
 * The corpus chunk by chunk, in track order. With threads, chunks are generated round-robin on
 * worker threads, a few ahead of the consumer (memory stays flat) while it loads the previous
 * ones; with none, here, between loads.
 */
export async function* corpusChunks(
  ctx: CorpusContext,
  threads: number,
  format: CopyFormat = "binary",
): AsyncGenerator<CorpusChunk> {
  const ranges = chunkRanges(ctx.plan.tracks);
  if (threads <= 0) {
    const firstIds = firstAnalysisIds(ctx);
    for (const [start, end] of ranges) {
      yield generateChunk(ctx, firstIds, start, end, format);
      await nextTurn();
    }
    return;
  }
  const pool = Array.from({ length: Math.min(threads, ranges.length) }, () =>
    generatorThread(ctx.seed, ctx.plan.scale, format),
  );
  try {
    const requested: Promise<CorpusChunk>[] = [];
    const request = (k: number) => {
      const range = ranges[k];
      if (!range) return;
      const chunk = (pool[k % pool.length] as GeneratorThread).generate(range);
      // A failed thread rejects every chunk asked of it; the one awaited reports it, not the rest.
      chunk.catch(() => {});
      requested[k] = chunk;
    };
    const ahead = pool.length * 2;
    for (let k = 0; k < ahead; k++) request(k);
    for (let k = 0; k < ranges.length; k++) {
      const chunk = await (requested[k] as Promise<CorpusChunk>);
      delete requested[k];
      request(k + ahead);
      yield chunk;
    }
  } finally {
    await Promise.all(pool.map((thread) => thread.stop()));
  }
}

type GeneratorThread = { generate(range: [number, number]): Promise<CorpusChunk>; stop(): Promise<void> };

function generatorThread(seed: number, scale: number, format: CopyFormat): GeneratorThread {
  const worker = startWorker({ seed, scale, format });
  const pending: { resolve(chunk: CorpusChunk): void; reject(error: Error): void }[] = [];
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const waiter of pending.splice(0)) waiter.reject(failure);
  };
  worker.on("message", (chunk: CorpusChunk) => pending.shift()?.resolve(chunk));
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`a corpus generator thread exited (code ${code})`)));
  return {
    generate(range) {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        pending.push({ resolve, reject });
        worker.postMessage(range);
      });
    },
    async stop() {
      worker.removeAllListeners("exit");
      await worker.terminate();
    },
  };
}

const here = new URL(import.meta.url);

function startWorker(workerData: { seed: number; scale: number; format: CopyFormat }): Worker {
  const built = builtWorker(new URL("./generate-worker.ts", here));
  if (built) return new Worker(built, { workerData });
  const fromSources = here.pathname.endsWith(".ts");
  const entry = fileURLToPath(new URL(`./generate-worker${fromSources ? ".ts" : ".js"}`, here));
  if (!fromSources) return new Worker(entry, { workerData });
  // From TypeScript sources (tsx), the thread compiles them with tsx's require hook: Node 20's
  // module hooks, which tsx registers on the main thread, do not reach worker threads.
  const tsx = createRequire(here).resolve("tsx/cjs/api");
  const boot = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry)});`;
  return new Worker(boot, { eval: true, workerData });
}
