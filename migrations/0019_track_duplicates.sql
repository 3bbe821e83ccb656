-- Tracks sharing an (artist, title) pair, ignoring case: the corpus's known duplicates, kept with
-- the tracks. A dataset card's duplicate check then joins its rows with this short list, where a
-- GROUP BY of every track read the whole tracks heap (embeddings inline): 150 ms holding the
-- embedded database at scale 1, and ten times that at scale 10. A track without an artist or a
-- title repeats nothing.
CREATE INDEX tracks_artist_title_key ON tracks (lower(artist), lower(title));

CREATE TABLE rapfs_track_duplicates (
  track_id int PRIMARY KEY,
  artist_key text NOT NULL,
  title_key text NOT NULL
);
CREATE INDEX rapfs_track_duplicates_pair ON rapfs_track_duplicates (artist_key, title_key);

-- Recomputes the pairs a statement touched, each through the index (LATERAL: never a scan of
-- every track). Writers of one pair in concurrent transactions take its bucket's lock in turn, so
-- the later one's refresh sees the earlier one's committed row (each statement below reads a new
-- snapshot); 64 buckets keep a large COPY's locks few.
CREATE FUNCTION rapfs_refresh_track_duplicates(artists text[], titles text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('rapfs:track-duplicates'), b)
  FROM (SELECT DISTINCT hashtext(a || '/' || t) & 63 AS b FROM unnest(artists, titles) k (a, t)
        ORDER BY 1) buckets;
  DELETE FROM rapfs_track_duplicates d
  USING unnest(artists, titles) k (a, t)
  WHERE d.artist_key = k.a AND d.title_key = k.t;
  INSERT INTO rapfs_track_duplicates (track_id, artist_key, title_key)
  SELECT m.id, k.a, k.t
  FROM (SELECT DISTINCT a, t FROM unnest(artists, titles) k (a, t)) k
  CROSS JOIN LATERAL (
    SELECT id, count(*) OVER () AS n FROM tracks
    WHERE lower(artist) = k.a AND lower(title) = k.t
  ) m
  WHERE m.n > 1;
END $$;

CREATE FUNCTION rapfs_note_track_pairs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  artists text[];
  titles text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(lower(artist)), array_agg(lower(title)) INTO artists, titles
    FROM new_rows WHERE artist IS NOT NULL AND title IS NOT NULL;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(lower(artist)), array_agg(lower(title)) INTO artists, titles
    FROM old_rows WHERE artist IS NOT NULL AND title IS NOT NULL;
  ELSE
    -- Only rows whose pair changed: an update of a track's embeddings or data touches no pair.
    WITH changed AS (
      SELECT lower(o.artist) AS oa, lower(o.title) AS ot, lower(n.artist) AS na, lower(n.title) AS nt
      FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
      WHERE lower(o.artist) IS DISTINCT FROM lower(n.artist) OR lower(o.title) IS DISTINCT FROM lower(n.title)
    )
    SELECT array_agg(a), array_agg(t) INTO artists, titles
    FROM (SELECT oa, ot FROM changed UNION ALL SELECT na, nt FROM changed) r (a, t)
    WHERE a IS NOT NULL AND t IS NOT NULL;
  END IF;
  IF artists IS NOT NULL THEN PERFORM rapfs_refresh_track_duplicates(artists, titles); END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER rapfs_track_pairs_inserted AFTER INSERT ON tracks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_track_pairs();
CREATE TRIGGER rapfs_track_pairs_updated AFTER UPDATE ON tracks
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_track_pairs();
CREATE TRIGGER rapfs_track_pairs_deleted AFTER DELETE ON tracks
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rapfs_note_track_pairs();

CREATE FUNCTION rapfs_clear_track_duplicates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE rapfs_track_duplicates;
  RETURN NULL;
END $$;

CREATE TRIGGER rapfs_track_pairs_truncated AFTER TRUNCATE ON tracks
  FOR EACH STATEMENT EXECUTE FUNCTION rapfs_clear_track_duplicates();

-- The whole list from every track: the backfill below, and after a bulk load (deferred-indexes.ts).
CREATE FUNCTION rapfs_rebuild_track_duplicates() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM rapfs_track_duplicates;
  INSERT INTO rapfs_track_duplicates (track_id, artist_key, title_key)
  SELECT id, a, t FROM (
    SELECT id, lower(artist) AS a, lower(title) AS t,
      count(*) OVER (PARTITION BY lower(artist), lower(title)) AS n
    FROM tracks WHERE artist IS NOT NULL AND title IS NOT NULL
  ) members
  WHERE n > 1;
END $$;

SELECT rapfs_rebuild_track_duplicates();
ANALYZE rapfs_track_duplicates;
