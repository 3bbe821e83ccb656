-- Freshness: every write to the corpus is noted, so materialization follows it without an
-- operator. One row per statement (not per row), in the writing transaction: it commits with
-- the rows it describes, and `xid` tells which materialization runs saw them (their snapshot).
CREATE TABLE rapfs_source_changes (
  id bigserial PRIMARY KEY,
  source text NOT NULL CHECK (source IN ('tracks', 'analysis_results')),
  op text NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'truncate')),
  -- analysis_results inserts: the analyzer types written; null: any (updates, deletes, tracks)
  analyzers text[],
  -- inserts: the oldest created_at written (-infinity when one was null)
  oldest_created_at timestamp,
  row_count bigint NOT NULL,
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  noted_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The snapshot a run read its sources in: a change whose xid it does not see is still to serve.
ALTER TABLE rapfs_materialization_runs ADD COLUMN source_snapshot text;

-- The freshness objective a version declares (null: the server's default). Not part of its hash:
-- it changes when rows are served, never their values.
ALTER TABLE rapfs_feature_views ADD COLUMN freshness_seconds int;
ALTER TABLE rapfs_embeddings ADD COLUMN freshness_seconds int;

CREATE FUNCTION rapfs_note_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'analysis_results' THEN
    INSERT INTO rapfs_source_changes (source, op, analyzers, oldest_created_at, row_count)
    SELECT 'analysis_results', 'insert', array_agg(DISTINCT analyzer_type),
      min(coalesce(created_at, '-infinity')), count(*)
    FROM new_rows HAVING count(*) > 0;
  ELSE
    INSERT INTO rapfs_source_changes (source, op, oldest_created_at, row_count)
    SELECT 'tracks', 'insert', min(coalesce(created_at, '-infinity')), count(*)
    FROM new_rows HAVING count(*) > 0;
  END IF;
  IF FOUND THEN PERFORM pg_notify('rapfs_source_changes', TG_TABLE_NAME); END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION rapfs_note_removals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rapfs_source_changes (source, op, row_count)
  SELECT TG_TABLE_NAME, lower(TG_OP), count(*) FROM old_rows HAVING count(*) > 0;
  IF FOUND THEN PERFORM pg_notify('rapfs_source_changes', TG_TABLE_NAME); END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION rapfs_note_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rapfs_source_changes (source, op, row_count) VALUES (TG_TABLE_NAME, 'truncate', 0);
  PERFORM pg_notify('rapfs_source_changes', TG_TABLE_NAME);
  RETURN NULL;
END $$;

CREATE TRIGGER rapfs_tracks_inserted AFTER INSERT ON tracks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_inserts();
CREATE TRIGGER rapfs_tracks_updated AFTER UPDATE ON tracks
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_removals();
CREATE TRIGGER rapfs_tracks_deleted AFTER DELETE ON tracks
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_removals();
CREATE TRIGGER rapfs_tracks_truncated AFTER TRUNCATE ON tracks
  FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_truncate();

CREATE TRIGGER rapfs_analyses_inserted AFTER INSERT ON analysis_results
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_inserts();
CREATE TRIGGER rapfs_analyses_updated AFTER UPDATE ON analysis_results
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_removals();
CREATE TRIGGER rapfs_analyses_deleted AFTER DELETE ON analysis_results
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_removals();
CREATE TRIGGER rapfs_analyses_truncated AFTER TRUNCATE ON analysis_results
  FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_truncate();
