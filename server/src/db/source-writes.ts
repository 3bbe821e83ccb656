/**
 * Writers of the corpus (`tracks`, `analysis_results`) take this advisory lock shared for their
 * transaction, and stamp `created_at` with `clock_timestamp()` after taking it; a
 * materialization run takes it exclusively for the instant its snapshot is taken. So every row a
 * run does not see is stamped after the run's snapshot, later than its watermark, and the next
 * incremental run picks it up: no late commit slips under a watermark.
 */
export const SOURCE_WRITES_LOCK = "rapfs:source-writes";

/** SQL for a writer's transaction: the lock shared, released at commit or rollback. */
export const LOCK_SOURCE_WRITES_SHARED = `select pg_advisory_xact_lock_shared(hashtext('${SOURCE_WRITES_LOCK}'))`;

/** What migration 0011's triggers NOTIFY on every statement that writes the corpus. */
export const SOURCE_CHANGES_CHANNEL = "rapfs_source_changes";
