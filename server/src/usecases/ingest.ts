import { checkBatch, type IngestOptions, type IngestOutcome, ingestBatch } from "../ingest";
import type { Services } from "./context";

/**
 * New tracks and analyses from the platform's analyzers, all or nothing; the views catch up
 * through freshness. A batch with bad rows is refused with every problem (VALIDATION_FAILED).
 * Sent again under its idempotency key, a batch gets the first write's result.
 */
export async function ingestAnalyses(
  services: Services,
  batch: unknown,
  options: IngestOptions = {},
): Promise<IngestOutcome> {
  const written = await ingestBatch(services.sql, batch, options);
  // This process wrote them: its scheduler looks now rather than at its next poll.
  if (!written.replayed) services.freshness.nudge();
  return written;
}

/** The refusal `ingestAnalyses` would give a batch, without writing; resolves when it has none. */
export function checkAnalyses(services: Services, batch: unknown): Promise<void> {
  return checkBatch(services.sql, batch);
}
