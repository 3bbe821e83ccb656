-- Inserts into tracks also note the ids they wrote: the embedded default's in-memory search reads
-- those rows alone (by primary key) to follow new tracks, instead of scanning the table for rows
-- written since it last looked. Updates, deletes and truncates still send it to a scan.
ALTER TABLE rapfs_source_changes ADD COLUMN ids int[];

CREATE OR REPLACE FUNCTION rapfs_note_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'analysis_results' THEN
    INSERT INTO rapfs_source_changes (source, op, analyzers, oldest_created_at, row_count)
    SELECT 'analysis_results', 'insert', array_agg(DISTINCT analyzer_type),
      min(coalesce(created_at, '-infinity')), count(*)
    FROM new_rows HAVING count(*) > 0;
  ELSE
    INSERT INTO rapfs_source_changes (source, op, oldest_created_at, row_count, ids)
    SELECT 'tracks', 'insert', min(coalesce(created_at, '-infinity')), count(*), array_agg(id)
    FROM new_rows HAVING count(*) > 0;
  END IF;
  IF FOUND THEN PERFORM pg_notify('rapfs_source_changes', TG_TABLE_NAME); END IF;
  RETURN NULL;
END $$;
