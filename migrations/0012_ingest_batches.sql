-- Idempotency keys of ingested batches: a batch sent again under the same key (a client's retry
-- after a lost answer, a re-run of `rapfs ingest` after an interruption) gets the first write's
-- answer instead of writing its rows twice. Written in the batch's own transaction, so a key is
-- recorded exactly when its rows are. Kept a day.
CREATE TABLE rapfs_ingest_batches (
  idempotency_key text PRIMARY KEY,
  -- SHA-256 of the batch as received: the same key with another batch is refused
  request_sha256 text NOT NULL,
  result jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rapfs_ingest_batches_created_at ON rapfs_ingest_batches (created_at);
