-- Encoded downloads by what they hold (the request without its caller, and the data version),
-- where every server process finds them: one computation per file across processes. A row
-- without completed_at is a claim (who is encoding it, since when); its bytes follow in chunks.
CREATE TABLE rapfs_dataset_files (
  key text PRIMARY KEY,
  meta jsonb,
  bytes bigint,
  claimed_by text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);

CREATE TABLE rapfs_dataset_file_chunks (
  key text NOT NULL REFERENCES rapfs_dataset_files (key) ON DELETE CASCADE,
  n integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (key, n)
);
