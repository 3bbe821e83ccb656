-- Analyses a view version cannot read: a value its SQL would fail on (a string where it casts to
-- float, a number out of its column's range) or an object where it reads text. Its runs never
-- pick such an analysis (the track keeps its previous one), so one bad row never stops the view;
-- they note each here with the feature and the problem, for the registry, a metric and an alert.
-- A full run replaces its version's rows (a corrected or deleted analysis leaves).
CREATE TABLE rapfs_quarantined_analyses (
  view_name text NOT NULL,
  view_version int NOT NULL,
  analysis_id int NOT NULL,
  track_id int,
  analyzer_type text NOT NULL,
  feature text NOT NULL,
  field text NOT NULL,
  problem text NOT NULL,
  value text,
  run_id bigint,
  found_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (view_name, view_version, analysis_id)
);
