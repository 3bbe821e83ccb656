import { createHash } from "node:crypto";
import type postgres from "postgres";
import type { Sql } from "../db/database";
import { DomainError } from "../errors";
import { canonicalJson, digestOf } from "../values/canonical-json";
import type { IngestResult } from "./write";

/** How long a key answers for its batch: a retry comes within seconds. */
export const IDEMPOTENCY_KEY_HOURS = 24;

/** How long a file's rows are known written (`rowsKey`): a file appended to daily is read again the next day. */
export const FILE_ROWS_KEY_DAYS = 90;
const FILE_ROWS = "rapfs-rows:";

/** Printable ASCII without spaces, as header values and file names carry them: a UUID, a file's digest. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * What tells two batches sent under one key apart: their content, not its spelling (the same
 * rows with their keys in another order are the same batch, a retry).
 */
export const batchDigest = (batch: unknown): string => digestOf(canonicalJson(batch));

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
    where created_at < clock_timestamp() - ${IDEMPOTENCY_KEY_HOURS} * interval '1 hour'
      and (not starts_with(idempotency_key, ${FILE_ROWS})
        or created_at < clock_timestamp() - ${FILE_ROWS_KEY_DAYS} * interval '1 day')`;
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

/**
 * A file's rows chained: each row's link is a digest of the link before it and the row itself,
 * so the link at row k names rows 1..k, whatever follows them. A file appended to keeps its
 * links; one edited at row k changes the links from k on.
 */
export function rowLink(previous: string, row: unknown): string {
  return createHash("sha256")
    .update(previous)
    .update(JSON.stringify(row) ?? "")
    .digest("base64url")
    .slice(0, 32);
}

/** The key a batch of a file is written under: the link of its last row. */
export const rowsKey = (table: string, link: string): string => `${FILE_ROWS}${table}:${link}`;

/**
 * Of `keys` (the rowsKey of each row of a batch, in order), the index of the last one an earlier
 * run wrote a batch under (its rows and every row before it are in the table), or -1.
 */
export async function writtenThrough(sql: Sql, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return -1;
  const rows = await sql<{ key: string }[]>`
    select idempotency_key as key from rapfs_ingest_batches
    where idempotency_key = any(${keys as string[]}::text[])
      and created_at >= clock_timestamp() - ${FILE_ROWS_KEY_DAYS} * interval '1 day'`;
  const found = new Set(rows.map((row) => row.key));
  for (let i = keys.length - 1; i >= 0; i--) if (found.has(keys[i] as string)) return i;
  return -1;
}
