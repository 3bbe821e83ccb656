-- The analyses corpus, exactly as the content-intelligence platform has it.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE tracks (
  id serial PRIMARY KEY,
  title varchar(500),
  artist varchar(200),
  lyrics text,
  url varchar(500),
  created_at timestamp,
  spotify_data jsonb,
  audio_features jsonb,
  lyrics_embedding vector(384),
  audio_embedding vector(128)
);

CREATE TABLE analysis_results (
  id serial PRIMARY KEY,
  track_id int REFERENCES tracks (id),
  analyzer_type varchar(50),
  sentiment varchar,
  confidence numeric,
  themes text,
  analysis_data jsonb,
  created_at timestamp,
  complexity_score numeric,
  processing_time_ms int,
  model_version varchar,
  analysis_embedding vector(256)
);

-- "Latest analysis per (track, analyzer)" and incremental watermarks both walk this index.
CREATE INDEX analysis_results_track_analyzer_created
  ON analysis_results (track_id, analyzer_type, created_at DESC, id DESC);
CREATE INDEX analysis_results_created_at ON analysis_results (created_at);
CREATE INDEX tracks_artist ON tracks (artist);
