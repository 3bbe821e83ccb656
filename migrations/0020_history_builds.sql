-- A whole build of a view's history under way (stored-history.ts buildWhole). Its snapshot keeps
-- the corpus changes the build does not see from being pruned before the build is recorded in
-- rapfs_stored_histories, and the row is the build's lease: a second builder (another process on
-- the embedded database, where no advisory lock spans processes) builds nothing until it ends or
-- expires.
CREATE TABLE rapfs_history_builds (
  view_table text PRIMARY KEY,
  snapshot text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now()
);
