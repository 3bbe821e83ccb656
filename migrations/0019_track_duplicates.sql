-- How many tracks share each (artist, title) pair, ignoring case, kept with the tracks: the
-- corpus's known duplicates are the pairs counted more than once. A dataset card's duplicate check
-- then reads those few pairs' tracks through the index below, where a GROUP BY of every track read
-- the whole tracks heap (embeddings inline): 150 ms holding the embedded database at scale 1, and
-- ten times that at scale 10. A track without an artist or a title repeats nothing; a pair whose
-- last track goes stays, at 0.
CREATE INDEX tracks_artist_title_key ON tracks (lower(artist), lower(title));

CREATE TABLE rapfs_track_pairs (
  artist_key text NOT NULL,
  title_key text NOT NULL,
  tracks int NOT NULL,
  PRIMARY KEY (artist_key, title_key)
);
CREATE INDEX rapfs_track_pairs_shared ON rapfs_track_pairs (artist_key, title_key) WHERE tracks > 1;

-- Adds `deltas` to the pairs' counts, one statement's worth: rows locked in key order, so two
-- transactions counting one pair meet on its row. Under READ COMMITTED the later waits and adds to
-- the committed count; under REPEATABLE READ or SERIALIZABLE it fails with a serialization error,
-- to retry. A change that leaves a pair's count as it was writes nothing. JIT off: a trigger's
-- transition tables have no statistics, and a big statement's estimate made PostgreSQL compile one.
CREATE FUNCTION rapfs_add_track_pairs(artists text[], titles text[], deltas int[]) RETURNS void
LANGUAGE sql SET jit = off AS $$
  INSERT INTO rapfs_track_pairs AS p (artist_key, title_key, tracks)
  SELECT a, t, sum(d) FROM unnest(artists, titles, deltas) c (a, t, d)
  WHERE a IS NOT NULL AND t IS NOT NULL
  GROUP BY a, t HAVING sum(d) <> 0 ORDER BY a, t
  ON CONFLICT (artist_key, title_key) DO UPDATE SET tracks = greatest(p.tracks + excluded.tracks, 0);
$$;

-- Each statement adds its rows' pairs and takes away the pairs they had; counting needs no look
-- at other tracks.
CREATE FUNCTION rapfs_count_track_pairs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM rapfs_add_track_pairs(array_agg(lower(artist)), array_agg(lower(title)), array_agg(1))
    FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM rapfs_add_track_pairs(array_agg(lower(artist)), array_agg(lower(title)), array_agg(-1))
    FROM old_rows;
  ELSE
    PERFORM rapfs_add_track_pairs(array_agg(lower(artist)), array_agg(lower(title)), array_agg(d))
    FROM (SELECT artist, title, -1 FROM old_rows UNION ALL SELECT artist, title, 1 FROM new_rows) c (artist, title, d);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER rapfs_track_pairs_inserted AFTER INSERT ON tracks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapfs_count_track_pairs();
CREATE TRIGGER rapfs_track_pairs_updated AFTER UPDATE ON tracks
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rapfs_count_track_pairs();
CREATE TRIGGER rapfs_track_pairs_deleted AFTER DELETE ON tracks
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rapfs_count_track_pairs();

CREATE FUNCTION rapfs_clear_track_pairs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE rapfs_track_pairs;
  RETURN NULL;
END $$;

CREATE TRIGGER rapfs_track_pairs_truncated AFTER TRUNCATE ON tracks
  FOR EACH STATEMENT EXECUTE FUNCTION rapfs_clear_track_pairs();

-- Every pair counted from all tracks: the backfill below, and after a bulk load, which loads with
-- the counting trigger off (deferred-indexes.ts).
CREATE FUNCTION rapfs_recount_track_pairs() RETURNS void LANGUAGE sql AS $$
  DELETE FROM rapfs_track_pairs;
  INSERT INTO rapfs_track_pairs (artist_key, title_key, tracks)
  SELECT lower(artist), lower(title), count(*) FROM tracks
  WHERE artist IS NOT NULL AND title IS NOT NULL
  GROUP BY 1, 2;
$$;

SELECT rapfs_recount_track_pairs();
ANALYZE rapfs_track_pairs;
