-- The registry: every applied definition version, what it compiled to, and its materialization runs.
CREATE TABLE rapfs_entities (
  name text PRIMARY KEY,
  key_column text NOT NULL,
  key_type text NOT NULL,
  description text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rapfs_feature_views (
  name text NOT NULL,
  version int NOT NULL,
  entity text NOT NULL REFERENCES rapfs_entities (name),
  table_name text NOT NULL UNIQUE,
  -- sha256 of the compiled meaning (source, feature names, types, parsed expressions); an
  -- applied version whose hash changes is refused.
  content_hash text NOT NULL,
  description text NOT NULL,
  owner text,
  tags text[] NOT NULL DEFAULT '{}',
  source_file text NOT NULL,
  -- [{name, type, pg_type, description, expr, tags}] in column order
  features jsonb NOT NULL,
  definition jsonb NOT NULL,
  -- {ddl, select, full, incremental, point_in_time, watermark}: each {text, params}
  compiled jsonb NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deprecated', 'retired')),
  sunset_date date,
  -- newest source created_at seen by the last committed run; incremental runs start after it
  watermark timestamp,
  last_run_id bigint,
  last_materialized_at timestamptz,
  applied_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version),
  CHECK (status <> 'deprecated' OR sunset_date IS NOT NULL)
);

CREATE TABLE rapfs_embeddings (
  name text NOT NULL,
  version int NOT NULL,
  entity text NOT NULL REFERENCES rapfs_entities (name),
  -- where the vectors are read: tracks itself, or a materialized emb_* table
  relation text NOT NULL,
  key_column text NOT NULL,
  vector_column text NOT NULL,
  dimension int NOT NULL,
  metric text NOT NULL CHECK (metric IN ('cosine', 'l2', 'inner_product')),
  index_kind text NOT NULL CHECK (index_kind IN ('exact', 'hnsw')),
  index_name text,
  content_hash text NOT NULL,
  description text NOT NULL,
  tags text[] NOT NULL DEFAULT '{}',
  source_file text NOT NULL,
  definition jsonb NOT NULL,
  compiled jsonb,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deprecated', 'retired')),
  sunset_date date,
  watermark timestamp,
  last_run_id bigint,
  last_materialized_at timestamptz,
  applied_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

CREATE TABLE rapfs_feature_services (
  name text PRIMARY KEY,
  entity text NOT NULL REFERENCES rapfs_entities (name),
  description text NOT NULL,
  owner text,
  tags text[] NOT NULL DEFAULT '{}',
  -- references as written, and what they resolved to when applied ([{view, version, feature, ref}])
  feature_refs text[] NOT NULL,
  features jsonb NOT NULL,
  source_file text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rapfs_datasets (
  name text PRIMARY KEY,
  entity text NOT NULL REFERENCES rapfs_entities (name),
  description text NOT NULL,
  license text NOT NULL,
  owner text,
  tags text[] NOT NULL DEFAULT '{}',
  features jsonb NOT NULL,
  filters jsonb NOT NULL,
  -- {text, params}: the rows of a download, joined from the view tables
  compiled jsonb NOT NULL,
  source_file text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rapfs_materialization_runs (
  id bigserial PRIMARY KEY,
  relation_kind text NOT NULL CHECK (relation_kind IN ('feature_view', 'embedding')),
  name text NOT NULL,
  version int NOT NULL,
  mode text NOT NULL CHECK (mode IN ('full', 'incremental')),
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  duration_ms int,
  rows_written bigint,
  row_count bigint,
  watermark_before timestamp,
  watermark_after timestamp,
  -- {feature: {null_rate, min, max, mean, quantiles, distinct_count, top_values}}
  stats jsonb,
  error text
);
CREATE INDEX rapfs_materialization_runs_relation ON rapfs_materialization_runs (name, version, id DESC);

-- Incremental runs look for tracks newer than a watermark, and the watermark is the newest
-- created_at: both would scan every track without this.
CREATE INDEX tracks_created_at ON tracks (created_at);
