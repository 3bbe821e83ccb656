-- Inserts also note the tracks they touch (analyses: their track_id; tracks: their id), up to
-- 10,000 a statement: a back-dated row then costs an incremental run over those tracks (and their
-- artists) instead of a rebuild of every view that reads it. Larger statements, updates, deletes
-- and truncates still send the views to a full run.
ALTER TABLE rapfs_source_changes ADD COLUMN track_ids int[];

CREATE OR REPLACE FUNCTION rapfs_note_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'analysis_results' THEN
    INSERT INTO rapfs_source_changes (source, op, analyzers, oldest_created_at, row_count, track_ids)
    SELECT 'analysis_results', 'insert', array_agg(DISTINCT analyzer_type),
      min(coalesce(created_at, '-infinity')), count(*),
      CASE WHEN count(*) <= 10000 AND bool_and(track_id IS NOT NULL)
        THEN array_agg(DISTINCT track_id) END
    FROM new_rows HAVING count(*) > 0;
  ELSE
    INSERT INTO rapfs_source_changes (source, op, oldest_created_at, row_count, ids, track_ids)
    SELECT 'tracks', 'insert', min(coalesce(created_at, '-infinity')), count(*), array_agg(id),
      CASE WHEN count(*) <= 10000 THEN array_agg(id) END
    FROM new_rows HAVING count(*) > 0;
  END IF;
  IF FOUND THEN PERFORM pg_notify('rapfs_source_changes', TG_TABLE_NAME); END IF;
  RETURN NULL;
END $$;
