-- feature_view llm_latest@3 → fv_llm_latest_v3
-- content hash 65b4ffa8ec52dfd24dacdfbae2224ebc1d34e2c3e362fa2dc9d559df058a9e23

-- ddl
create table "fv_llm_latest_v3" (
  "track_id" integer constraint "fv_llm_latest_v3_pkey" primary key,
  "event_timestamp" timestamp,
  "materialized_at" timestamptz not null default now(),
  "sentiment" text,
  "quality" double precision,
  "title_words" integer
);

-- select (the rows)
--   $1 {"value":"qwen-3-4b-fp8","type":"text"}
--   $2 {"value":"quality_score","type":"text"}
select t.id as "track_id",
  a.created_at as "event_timestamp",
  (lower(a.sentiment))::text as "sentiment",
  ((a.analysis_data->>'quality_score')::float / 10)::double precision as "quality",
  (array_length(string_to_array(t.title, ' '), 1))::integer as "title_words"
from tracks t
cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $1::text and _r.created_at is not null and (case coalesce(jsonb_typeof(_r.analysis_data -> $2::text), 'null') when 'number' then abs((_r.analysis_data -> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange when 'string' then case when _r.analysis_data ->> $2::text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$' then abs((_r.analysis_data ->> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange else false end when 'null' then true else false end) order by _r.created_at desc, _r.id desc limit 1) a
where t.id is not null;

-- full (into the staging table, swapped in afterwards)
--   $1 {"value":"qwen-3-4b-fp8","type":"text"}
--   $2 {"value":"quality_score","type":"text"}
insert into "fv_llm_latest_v3__next" ("track_id", "event_timestamp", "sentiment", "quality", "title_words")
select t.id as "track_id",
  a.created_at as "event_timestamp",
  (lower(a.sentiment))::text as "sentiment",
  ((a.analysis_data->>'quality_score')::float / 10)::double precision as "quality",
  (array_length(string_to_array(t.title, ' '), 1))::integer as "title_words"
from tracks t
cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $1::text and _r.created_at is not null and (case coalesce(jsonb_typeof(_r.analysis_data -> $2::text), 'null') when 'number' then abs((_r.analysis_data -> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange when 'string' then case when _r.analysis_data ->> $2::text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$' then abs((_r.analysis_data ->> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange else false end when 'null' then true else false end) order by _r.created_at desc, _r.id desc limit 1) a
where t.id is not null;

-- incremental
--   $1 {"value":"qwen-3-4b-fp8","type":"text"}
--   $2 {"value":"quality_score","type":"text"}
--   $3 {"runtime":"watermark","type":"text"}
--   $4 {"runtime":"track_ids","type":"int[]"}
--   $5 {"value":["qwen-3-4b-fp8"],"type":"text[]"}
insert into "fv_llm_latest_v3" ("track_id", "event_timestamp", "sentiment", "quality", "title_words")
select t.id as "track_id",
  a.created_at as "event_timestamp",
  (lower(a.sentiment))::text as "sentiment",
  ((a.analysis_data->>'quality_score')::float / 10)::double precision as "quality",
  (array_length(string_to_array(t.title, ' '), 1))::integer as "title_words"
from tracks t
cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $1::text and _r.created_at is not null and (case coalesce(jsonb_typeof(_r.analysis_data -> $2::text), 'null') when 'number' then abs((_r.analysis_data -> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange when 'string' then case when _r.analysis_data ->> $2::text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$' then abs((_r.analysis_data ->> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange else false end when 'null' then true else false end) order by _r.created_at desc, _r.id desc limit 1) a
where t.id is not null
  and t.id in (select _c.track_id from analysis_results _c where _c.created_at > $3::text::timestamp and _c.analyzer_type = any($5::text[]) union select _n.id from tracks _n where _n.created_at > $3::text::timestamp union select unnest($4::int[]))
on conflict ("track_id") do update set "event_timestamp" = excluded."event_timestamp", "sentiment" = excluded."sentiment", "quality" = excluded."quality", "title_words" = excluded."title_words", "materialized_at" = now();

-- keys the noted changes reach (removed where the incremental run wrote none)
--   $1 {"runtime":"track_ids","type":"int[]"}
select distinct unnest($1::int[]) as "key";

-- point in time
--   $1 {"runtime":"entity_ids","type":"integer[]"}
--   $2 {"runtime":"as_of","type":"text[]"}
--   $3 {"value":"qwen-3-4b-fp8","type":"text"}
--   $4 {"value":"quality_score","type":"text"}
select _pit.ord, _pit.entity_id as "track_id", _pit.as_of, f."event_timestamp", f."sentiment", f."quality", f."title_words"
from unnest($1::integer[], $2::text[]::timestamp[]) with ordinality as _pit(entity_id, as_of, ord)
left join lateral (
  select t.id as "track_id",
    a.created_at as "event_timestamp",
    (lower(a.sentiment))::text as "sentiment",
    ((a.analysis_data->>'quality_score')::float / 10)::double precision as "quality",
    (array_length(string_to_array(t.title, ' '), 1))::integer as "title_words"
  from tracks t
  cross join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $3::text and _r.created_at <= _pit.as_of and (case coalesce(jsonb_typeof(_r.analysis_data -> $4::text), 'null') when 'number' then abs((_r.analysis_data -> $4::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange when 'string' then case when _r.analysis_data ->> $4::text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$' then abs((_r.analysis_data ->> $4::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange else false end when 'null' then true else false end) order by _r.created_at desc, _r.id desc limit 1) a
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
