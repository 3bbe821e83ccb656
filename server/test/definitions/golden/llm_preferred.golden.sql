-- feature_view llm_preferred@1 → fv_llm_preferred_v1
-- content hash 912aa1913152d5b24cfec756de13bc9c87d34007703ca53ca41ad8c4ebe02dc9

-- ddl
create table "fv_llm_preferred_v1" (
  "track_id" integer constraint "fv_llm_preferred_v1_pkey" primary key,
  "event_timestamp" timestamp,
  "materialized_at" timestamptz not null default now(),
  "analyzer" text,
  "confidence" double precision
);

-- select (the rows)
--   $1 {"value":["gemma-3-27b-it","qwen-3-4b-fp8"],"type":"text[]"}
select t.id as "track_id",
  a.created_at as "event_timestamp",
  (a.analyzer_type)::text as "analyzer",
  (a.confidence)::double precision as "confidence"
from tracks t
cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = any($1::text[]) and _r.created_at is not null order by array_position($1::text[], _r.analyzer_type::text), _r.created_at desc, _r.id desc limit 1) a
where t.id is not null;

-- full (into the staging table, swapped in afterwards)
--   $1 {"value":["gemma-3-27b-it","qwen-3-4b-fp8"],"type":"text[]"}
insert into "fv_llm_preferred_v1__next" ("track_id", "event_timestamp", "analyzer", "confidence")
select t.id as "track_id",
  a.created_at as "event_timestamp",
  (a.analyzer_type)::text as "analyzer",
  (a.confidence)::double precision as "confidence"
from tracks t
cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = any($1::text[]) and _r.created_at is not null order by array_position($1::text[], _r.analyzer_type::text), _r.created_at desc, _r.id desc limit 1) a
where t.id is not null;

-- incremental
--   $1 {"value":["gemma-3-27b-it","qwen-3-4b-fp8"],"type":"text[]"}
--   $2 {"runtime":"watermark","type":"text"}
--   $3 {"runtime":"track_ids","type":"int[]"}
insert into "fv_llm_preferred_v1" ("track_id", "event_timestamp", "analyzer", "confidence")
select t.id as "track_id",
  a.created_at as "event_timestamp",
  (a.analyzer_type)::text as "analyzer",
  (a.confidence)::double precision as "confidence"
from tracks t
cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = any($1::text[]) and _r.created_at is not null order by array_position($1::text[], _r.analyzer_type::text), _r.created_at desc, _r.id desc limit 1) a
where t.id is not null
  and t.id in (select _c.track_id from analysis_results _c where _c.created_at > $2::text::timestamp and _c.analyzer_type = any($1::text[]) union select _n.id from tracks _n where _n.created_at > $2::text::timestamp union select unnest($3::int[]))
on conflict ("track_id") do update set "event_timestamp" = excluded."event_timestamp", "analyzer" = excluded."analyzer", "confidence" = excluded."confidence", "materialized_at" = now();

-- keys the noted changes reach (removed where the incremental run wrote none)
--   $1 {"runtime":"track_ids","type":"int[]"}
select distinct unnest($1::int[]) as "key";

-- point in time
--   $1 {"runtime":"entity_ids","type":"integer[]"}
--   $2 {"runtime":"as_of","type":"text[]"}
--   $3 {"value":["gemma-3-27b-it","qwen-3-4b-fp8"],"type":"text[]"}
select _pit.ord, _pit.entity_id as "track_id", _pit.as_of, f."event_timestamp", f."analyzer", f."confidence"
from unnest($1::integer[], $2::text[]::timestamp[]) with ordinality as _pit(entity_id, as_of, ord)
left join lateral (
  select t.id as "track_id",
    a.created_at as "event_timestamp",
    (a.analyzer_type)::text as "analyzer",
    (a.confidence)::double precision as "confidence"
  from tracks t
  cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = any($3::text[]) and _r.created_at <= _pit.as_of order by array_position($3::text[], _r.analyzer_type::text), _r.created_at desc, _r.id desc limit 1) a
  where t.id is not null
    and t.id = _pit.entity_id
    and coalesce(t.created_at <= _pit.as_of, true)
) f on true
order by _pit.ord;

-- point in time: a track's change instants
--   $1 {"runtime":"entity_ids","type":"integer[]"}
--   $2 {"value":["gemma-3-27b-it","qwen-3-4b-fp8"],"type":"text[]"}
select t.id as entity_id, coalesce(t.created_at, '-infinity'::timestamp) as as_of from tracks t where t.id = any($1::integer[])
union
select t.id, _a.created_at from tracks t join analysis_results _a on _a.track_id = t.id and _a.analyzer_type = any($2::text[]) and _a.created_at > coalesce(t.created_at, '-infinity'::timestamp) where t.id = any($1::integer[]);

-- watermark
--   $1 {"value":["gemma-3-27b-it","qwen-3-4b-fp8"],"type":"text[]"}
select greatest((select max(created_at) from tracks), (select max(created_at) from analysis_results where analyzer_type = any($1::text[]))) as "watermark";
