-- feature_view consensus@1 → fv_consensus_v1
-- content hash 290635daff4948a2f3df281c8f82b5649f86faa16a4b1a60756e91e946fd43fa

-- ddl
create table "fv_consensus_v1" (
  "track_id" integer constraint "fv_consensus_v1_pkey" primary key,
  "event_timestamp" timestamp,
  "materialized_at" timestamptz not null default now(),
  "analyzers" integer,
  "agree" boolean
);

-- select (the rows)
--   $1 {"value":["qwen-3-4b-fp8","gemma-3-27b-it"],"type":"text[]"}
select t.id as "track_id",
  max(a.created_at) as "event_timestamp",
  (count(*))::integer as "analyzers",
  (count(distinct a.sentiment) = 1)::boolean as "agree"
from tracks t
cross join lateral (select distinct on (_r.analyzer_type) _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = any($1::text[]) and _r.created_at is not null order by _r.analyzer_type, _r.created_at desc, _r.id desc) a
where t.id is not null
group by t.id;

-- full (into the staging table, swapped in afterwards)
--   $1 {"value":["qwen-3-4b-fp8","gemma-3-27b-it"],"type":"text[]"}
insert into "fv_consensus_v1__next" ("track_id", "event_timestamp", "analyzers", "agree")
select t.id as "track_id",
  max(a.created_at) as "event_timestamp",
  (count(*))::integer as "analyzers",
  (count(distinct a.sentiment) = 1)::boolean as "agree"
from tracks t
cross join lateral (select distinct on (_r.analyzer_type) _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = any($1::text[]) and _r.created_at is not null order by _r.analyzer_type, _r.created_at desc, _r.id desc) a
where t.id is not null
group by t.id;

-- incremental
--   $1 {"value":["qwen-3-4b-fp8","gemma-3-27b-it"],"type":"text[]"}
--   $2 {"runtime":"watermark","type":"text"}
--   $3 {"runtime":"track_ids","type":"int[]"}
--   $4 {"value":["gemma-3-27b-it","qwen-3-4b-fp8"],"type":"text[]"}
insert into "fv_consensus_v1" ("track_id", "event_timestamp", "analyzers", "agree")
select t.id as "track_id",
  max(a.created_at) as "event_timestamp",
  (count(*))::integer as "analyzers",
  (count(distinct a.sentiment) = 1)::boolean as "agree"
from tracks t
cross join lateral (select distinct on (_r.analyzer_type) _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = any($1::text[]) and _r.created_at is not null order by _r.analyzer_type, _r.created_at desc, _r.id desc) a
where t.id is not null
  and t.id in (select _c.track_id from analysis_results _c where _c.created_at > $2::text::timestamp and _c.analyzer_type = any($4::text[]) union select _n.id from tracks _n where _n.created_at > $2::text::timestamp union select unnest($3::int[]))
group by t.id
on conflict ("track_id") do update set "event_timestamp" = excluded."event_timestamp", "analyzers" = excluded."analyzers", "agree" = excluded."agree", "materialized_at" = now();

-- keys the noted changes reach (removed where the incremental run wrote none)
--   $1 {"runtime":"track_ids","type":"int[]"}
select distinct unnest($1::int[]) as "key";

-- point in time
--   $1 {"runtime":"entity_ids","type":"integer[]"}
--   $2 {"runtime":"as_of","type":"text[]"}
--   $3 {"value":["qwen-3-4b-fp8","gemma-3-27b-it"],"type":"text[]"}
select _pit.ord, _pit.entity_id as "track_id", _pit.as_of, f."event_timestamp", f."analyzers", f."agree"
from unnest($1::integer[], $2::text[]::timestamp[]) with ordinality as _pit(entity_id, as_of, ord)
left join lateral (
  select t.id as "track_id",
    max(a.created_at) as "event_timestamp",
    (count(*))::integer as "analyzers",
    (count(distinct a.sentiment) = 1)::boolean as "agree"
  from tracks t
  cross join lateral (select distinct on (_r.analyzer_type) _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = any($3::text[]) and _r.created_at <= _pit.as_of order by _r.analyzer_type, _r.created_at desc, _r.id desc) a
  where t.id is not null
    and t.id = _pit.entity_id
    and coalesce(t.created_at <= _pit.as_of, true)
  group by t.id
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
