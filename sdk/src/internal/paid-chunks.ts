import type { RapFS } from "../client";
import { InsufficientQuotaError, PartialResultError } from "../core/errors";
import type { RequestOptions } from "../core/request-options";
import { settleChunks } from "./chunks";

/** The server's batch limit; a getMany splits larger id lists into requests of this size. */
export const MAX_BATCH_IDS = 1_000;

/** How a getMany splits its ids; the rest of the options go with every request. */
export type ChunkOptions = RequestOptions & {
  /** Ids per request, at most the server's 1,000. */
  chunkSize?: number;
  /** Requests in flight at once when the ids need several. Default 4. */
  concurrency?: number;
  /** Ask /v1/usage first whether ids needing several requests fit the rows left today. Default true. */
  checkQuota?: boolean;
};

/**
 * Sends `ids` in chunks, each spending a row per id: refused up front (InsufficientQuotaError)
 * when they cannot fit the rows left today, and never losing answers already paid for. When a
 * chunk fails after others were answered, `assemble` builds the result of those and it comes
 * on a PartialResultError with the ids left; when none was answered, the failure is thrown.
 */
export async function paidChunks<I, R, T>(
  client: RapFS,
  ids: readonly I[],
  options: ChunkOptions,
  send: (chunk: I[], request: RequestOptions) => Promise<R>,
  assemble: (parts: R[]) => T,
): Promise<T> {
  const { chunkSize, concurrency = 4, checkQuota = true, ...request } = options;
  const size = Math.min(chunkSize ?? MAX_BATCH_IDS, MAX_BATCH_IDS);
  if (checkQuota && ids.length > size) await assertRowsFit(client, ids.length, request);
  const { chunks, outcomes } = await settleChunks(ids, size, concurrency, (chunk) => send(chunk, request));
  const parts: R[] = [];
  const failedIds: I[] = [];
  let failure: { error: unknown } | undefined;
  outcomes.forEach((outcome, i) => {
    if (outcome.ok) parts.push(outcome.value);
    else {
      failedIds.push(...(chunks[i] as I[]));
      if ("error" in outcome && !failure) failure = { error: outcome.error };
    }
  });
  if (!failure) return assemble(parts);
  if (parts.length === 0) throw failure.error;
  throw new PartialResultError(assemble(parts), failedIds, ids.length - failedIds.length, failure.error);
}

async function assertRowsFit(client: RapFS, needed: number, request: RequestOptions): Promise<void> {
  const usage = await client.usage({ days: 1 }, request);
  const rows = usage.windows.find((w) => w.policy === "rows");
  // No window: this key's rows are unlimited.
  if (!rows || needed <= rows.remaining) return;
  const retryAfter = needed > rows.limit ? undefined : rows.reset_seconds;
  throw new InsufficientQuotaError("rows", needed, rows.remaining, rows.limit, retryAfter);
}
