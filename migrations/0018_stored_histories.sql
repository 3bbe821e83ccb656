-- An artist view's history (its running totals at every instant one of its tracks changed), kept
-- between point-in-time requests: a training set then reads one index probe per (artist, instant)
-- instead of summing every asked-for artist's whole history again. `snapshot` is the one the history
-- was read in: the artists of corpus changes it does not see are computed from the corpus instead,
-- until the view's next run brings them up to date (stored-history.ts).
CREATE TABLE rapfs_stored_histories (
  view_table text PRIMARY KEY,
  history_table text NOT NULL,
  snapshot text NOT NULL,
  keys bigint NOT NULL,
  -- How long the last whole build took: another waits ten times that (REBUILD_DUTY).
  build_ms bigint NOT NULL DEFAULT 0,
  built_at timestamptz NOT NULL DEFAULT now()
);
