-- Dataset cards by what they describe (the request without its caller, and the data version),
-- where every server process finds them: one computation per card across processes. A row with
-- no card yet is a claim: the process computing it, and since when (a claim that grew old is a
-- process that died, and another takes it over).
CREATE TABLE rapfs_dataset_cards (
  key text PRIMARY KEY,
  card jsonb,
  claimed_by text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  computed_at timestamptz
);
