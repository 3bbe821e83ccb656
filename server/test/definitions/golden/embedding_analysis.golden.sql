-- embedding analysis@1 → emb_analysis_v1
-- content hash bf60fadcae6cccf7895f9e7f7b0af572058ec8496aa6f5078c94098f50f91511

-- ddl
create table "emb_analysis_v1" (
  "track_id" integer constraint "emb_analysis_v1_pkey" primary key,
  "event_timestamp" timestamp,
  "materialized_at" timestamptz not null default now(),
  "embedding" vector(256)
);

-- select (the rows)
--   $1 {"value":"qwen-3-4b-fp8","type":"text"}
select t.id as "track_id",
  a.created_at as "event_timestamp",
  a."analysis_embedding"::vector(256) as "embedding"
from tracks t
cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version", _r."analysis_embedding" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $1::text and _r.created_at is not null order by _r.created_at desc, _r.id desc limit 1) a
where t.id is not null;

-- full (into the staging table, swapped in afterwards)
--   $1 {"value":"qwen-3-4b-fp8","type":"text"}
insert into "emb_analysis_v1__next" ("track_id", "event_timestamp", "embedding")
select t.id as "track_id",
  a.created_at as "event_timestamp",
  a."analysis_embedding"::vector(256) as "embedding"
from tracks t
cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version", _r."analysis_embedding" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $1::text and _r.created_at is not null order by _r.created_at desc, _r.id desc limit 1) a
where t.id is not null;

-- incremental
--   $1 {"value":"qwen-3-4b-fp8","type":"text"}
--   $2 {"runtime":"watermark","type":"text"}
--   $3 {"runtime":"track_ids","type":"int[]"}
--   $4 {"value":["qwen-3-4b-fp8"],"type":"text[]"}
insert into "emb_analysis_v1" ("track_id", "event_timestamp", "embedding")
select t.id as "track_id",
  a.created_at as "event_timestamp",
  a."analysis_embedding"::vector(256) as "embedding"
from tracks t
cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version", _r."analysis_embedding" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $1::text and _r.created_at is not null order by _r.created_at desc, _r.id desc limit 1) a
where t.id is not null
  and t.id in (select _c.track_id from analysis_results _c where _c.created_at > $2::text::timestamp and _c.analyzer_type = any($4::text[]) union select _n.id from tracks _n where _n.created_at > $2::text::timestamp union select unnest($3::int[]))
on conflict ("track_id") do update set "event_timestamp" = excluded."event_timestamp", "embedding" = excluded."embedding", "materialized_at" = now();

-- keys the noted changes reach (removed where the incremental run wrote none)
--   $1 {"runtime":"track_ids","type":"int[]"}
select distinct unnest($1::int[]) as "key";

-- point in time
--   $1 {"runtime":"entity_ids","type":"integer[]"}
--   $2 {"runtime":"as_of","type":"text[]"}
--   $3 {"value":"qwen-3-4b-fp8","type":"text"}
select _pit.ord, _pit.entity_id as "track_id", _pit.as_of, f."event_timestamp", f."embedding"
from unnest($1::integer[], $2::text[]::timestamp[]) with ordinality as _pit(entity_id, as_of, ord)
left join lateral (
  select t.id as "track_id",
    a.created_at as "event_timestamp",
    a."analysis_embedding"::vector(256) as "embedding"
  from tracks t
  cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version", _r."analysis_embedding" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $3::text and _r.created_at <= _pit.as_of order by _r.created_at desc, _r.id desc limit 1) a
  where t.id is not null
    and t.id = _pit.entity_id
    and coalesce(t.created_at <= _pit.as_of, true)
) f on true
order by _pit.ord;

-- point in time: a track's change instants
--   $1 {"runtime":"entity_ids","type":"integer[]"}
--   $2 {"value":["qwen-3-4b-fp8"],"type":"text[]"}
select t.id as entity_id, coalesce(t.created_at, '-infinity'::timestamp) as as_of from tracks t where t.id = any($1::integer[])
union
select t.id, _a.created_at from tracks t join analysis_results _a on _a.track_id = t.id and _a.analyzer_type = any($2::text[]) and _a.created_at > coalesce(t.created_at, '-infinity'::timestamp) where t.id = any($1::integer[]);

-- watermark
--   $1 {"value":["qwen-3-4b-fp8"],"type":"text[]"}
select greatest((select max(created_at) from tracks), (select max(created_at) from analysis_results where analyzer_type = any($1::text[]))) as "watermark";

-- hnsw index
create index "emb_analysis_v1_hnsw" on "emb_analysis_v1" using hnsw ("embedding" vector_cosine_ops) with (m = 32, ef_construction = 200);
