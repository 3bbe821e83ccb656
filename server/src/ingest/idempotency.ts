import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type postgres from "postgres";
import type { Sql } from "../db/database";
import { DomainError } from "../errors";
import type { IngestResult } from "./write";

/** How long a key answers for its batch: a retry comes within seconds, a re-run of a file within the day. */
export const IDEMPOTENCY_KEY_HOURS = 24;

/** Printable ASCII without spaces, as header values and file names carry them: a UUID, a file's digest. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** What tells two batches sent under one key apart. */
export const batchDigest = (batch: unknown): string =>
  createHash("sha256")
    .update(JSON.stringify(batch) ?? "")
    .digest("hex");

/**
 * Claims `key` for the batch this transaction writes. Resolves to undefined when the key is new
 * (the caller writes the rows, then `recordResult`), or to the first write's result when the same
 * batch came before under it. A transaction holding the same key is waited for (the primary key's
 * lock), so the same batch sent twice at once is written once. The same key with another batch is
 * refused: the client meant two writes and would lose one.
 */
export async function claimKey(
  tx: postgres.TransactionSql,
  key: string,
  digest: string,
): Promise<IngestResult | undefined> {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new DomainError(
      "BAD_REQUEST",
      "An idempotency key is 1 to 255 printable ASCII characters without spaces (a UUID does).",
    );
  }
  await tx`
    delete from rapfs_ingest_batches
    where created_at < clock_timestamp() - ${IDEMPOTENCY_KEY_HOURS} * interval '1 hour'`;
  const claimed = await tx`
    insert into rapfs_ingest_batches (idempotency_key, request_sha256, result)
    values (${key}, ${digest}, 'null'::jsonb)
    on conflict (idempotency_key) do nothing
    returning 1`;
  if (claimed.length > 0) return undefined;
  const [earlier] = await tx<{ request_sha256: string; result: string }[]>`
    select request_sha256, result::text as result from rapfs_ingest_batches where idempotency_key = ${key}`;
  if (earlier?.request_sha256 !== digest) {
    throw new DomainError(
      "CONFLICT",
      `The idempotency key "${key}" was used for another batch in the last ${IDEMPOTENCY_KEY_HOURS} hours; ` +
        "nothing was written. Send each batch under a key of its own.",
    );
  }
  return JSON.parse(earlier.result) as IngestResult;
}

/** Keeps the result a claimed key answers with from now on, in the transaction that wrote the rows. */
export async function recordResult(
  tx: postgres.TransactionSql,
  key: string,
  result: IngestResult,
): Promise<void> {
  await tx`
    update rapfs_ingest_batches set result = ${JSON.stringify(result)}::text::jsonb
    where idempotency_key = ${key}`;
}

/** Whether `key` names this very batch, written within the day (by an earlier run of the same file). */
export async function writtenUnderKey(sql: Sql, key: string, digest: string): Promise<boolean> {
  const [row] = await sql<{ request_sha256: string }[]>`
    select request_sha256 from rapfs_ingest_batches
    where idempotency_key = ${key}
      and created_at >= clock_timestamp() - ${IDEMPOTENCY_KEY_HOURS} * interval '1 hour'`;
  return row?.request_sha256 === digest;
}

/** SHA-256 of a file's bytes, read as a stream. */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The key of one batch of a file: the same file read into batches of the same size gives the
 * same keys, so a run after an interrupted one writes only the batches it did not.
 */
export const fileBatchKey = (file: string, table: string, batchRows: number, index: number): string =>
  `rapfs-ingest:${file.slice(0, 40)}:${table}:${batchRows}:${index}`;
