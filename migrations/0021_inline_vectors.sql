-- Vectors kept in the row, not in TOAST. A track's two vectors (1,544 + 520 bytes) put its row past
-- the 2 KB toast threshold, and pgvector's `external` storage then moved them out of line: an exact
-- search fetched each one through the TOAST index, three buffer reads per row (57,718 lyrics
-- vectors at scale 1: 299 ms on one core, 1.45 s of CPU on three parallel processes; inline, 98 ms).
-- MAIN moves the text and JSON out first and a vector only when the row would not fit a page.
-- Rows written before this keep their layout until rewritten (VACUUM FULL tracks; docs/operations.md).
ALTER TABLE tracks
  ALTER COLUMN lyrics_embedding SET STORAGE MAIN,
  ALTER COLUMN audio_embedding SET STORAGE MAIN;
ALTER TABLE analysis_results ALTER COLUMN analysis_embedding SET STORAGE MAIN;
