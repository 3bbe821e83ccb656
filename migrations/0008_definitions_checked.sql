-- The definitions last applied and checked against this database, as one fingerprint (their
-- content, the vector index kind, the schema version): a start with the same ones skips the check.
CREATE TABLE rapfs_definitions_checked (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  fingerprint text NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT now()
);
