-- Every write to the corpus notes the tracks it touches, so an incremental run recomputes those
-- tracks (and their artists) whatever the write was: an insert (back-dated or not), an update or a
-- delete. No statement is too large to note: whether recomputing its tracks by key costs more than
-- a rebuild is the run's choice (source-changes.ts, a measured share of the view's size).
-- `artists` holds the artists of tracks updated or deleted as they were before the statement, and
-- after it: a deleted track's artist, or an artist a track left, cannot be found from the tracks
-- table any more. `analyzers` is noted for updates and deletes of analyses too (it was null, "any").
-- Truncates still send every view that reads the table to a full run.
ALTER TABLE rapfs_source_changes ADD COLUMN artists text[];

-- The keys an incremental run removed from its view (no source row left), for the online store to
-- remove them too, and how many.
ALTER TABLE rapfs_materialization_runs ADD COLUMN removed_keys text[];
ALTER TABLE rapfs_materialization_runs ADD COLUMN rows_removed bigint;

CREATE OR REPLACE FUNCTION rapfs_note_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'analysis_results' THEN
    INSERT INTO rapfs_source_changes (source, op, analyzers, oldest_created_at, row_count, track_ids)
    SELECT 'analysis_results', 'insert', array_agg(DISTINCT analyzer_type),
      min(coalesce(created_at, '-infinity')), count(*),
      coalesce(array_agg(DISTINCT track_id) FILTER (WHERE track_id IS NOT NULL), '{}')
    FROM new_rows HAVING count(*) > 0;
  ELSE
    INSERT INTO rapfs_source_changes (source, op, oldest_created_at, row_count, ids, track_ids)
    SELECT 'tracks', 'insert', min(coalesce(created_at, '-infinity')), count(*), array_agg(id),
      array_agg(id)
    FROM new_rows HAVING count(*) > 0;
  END IF;
  IF FOUND THEN PERFORM pg_notify('rapfs_source_changes', TG_TABLE_NAME); END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rapfs_note_removals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'analysis_results' THEN
    INSERT INTO rapfs_source_changes (source, op, analyzers, row_count, track_ids)
    SELECT 'analysis_results', 'delete', array_agg(DISTINCT analyzer_type), count(*),
      coalesce(array_agg(DISTINCT track_id) FILTER (WHERE track_id IS NOT NULL), '{}')
    FROM old_rows HAVING count(*) > 0;
  ELSE
    INSERT INTO rapfs_source_changes (source, op, row_count, track_ids, artists)
    SELECT 'tracks', 'delete', count(*), array_agg(id),
      coalesce(array_agg(DISTINCT artist) FILTER (WHERE artist IS NOT NULL), '{}')
    FROM old_rows HAVING count(*) > 0;
  END IF;
  IF FOUND THEN PERFORM pg_notify('rapfs_source_changes', TG_TABLE_NAME); END IF;
  RETURN NULL;
END $$;

-- An update notes its rows before and after: a track or analysis that moved is stale in both places.
CREATE FUNCTION rapfs_note_updates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'analysis_results' THEN
    INSERT INTO rapfs_source_changes (source, op, analyzers, row_count, track_ids)
    SELECT 'analysis_results', 'update', array_agg(DISTINCT analyzer_type),
      (SELECT count(*) FROM new_rows),
      coalesce(array_agg(DISTINCT track_id) FILTER (WHERE track_id IS NOT NULL), '{}')
    FROM (SELECT analyzer_type, track_id FROM old_rows UNION ALL SELECT analyzer_type, track_id FROM new_rows) r
    HAVING count(*) > 0;
  ELSE
    INSERT INTO rapfs_source_changes (source, op, row_count, track_ids, artists)
    SELECT 'tracks', 'update', (SELECT count(*) FROM new_rows), array_agg(DISTINCT id),
      coalesce(array_agg(DISTINCT artist) FILTER (WHERE artist IS NOT NULL), '{}')
    FROM (SELECT id, artist FROM old_rows UNION ALL SELECT id, artist FROM new_rows) r
    HAVING count(*) > 0;
  END IF;
  IF FOUND THEN PERFORM pg_notify('rapfs_source_changes', TG_TABLE_NAME); END IF;
  RETURN NULL;
END $$;

DROP TRIGGER rapfs_tracks_updated ON tracks;
CREATE TRIGGER rapfs_tracks_updated AFTER UPDATE ON tracks
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_updates();
DROP TRIGGER rapfs_analyses_updated ON analysis_results;
CREATE TRIGGER rapfs_analyses_updated AFTER UPDATE ON analysis_results
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_updates();
