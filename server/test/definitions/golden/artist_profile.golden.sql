-- feature_view artist_profile@1 → fv_artist_profile_v1
-- content hash 61679218eaf8af8a1c0018c7ee446e9748287b1a72da4c67e4e2a8cea9a24b3e

-- ddl
create table "fv_artist_profile_v1" (
  "artist" text constraint "fv_artist_profile_v1_pkey" primary key,
  "event_timestamp" timestamp,
  "materialized_at" timestamptz not null default now(),
  "tracks" integer,
  "joy" double precision
);

-- helper ddl
create unlogged table "fv_artist_profile_v1__by_track" as
select t.id as "track_id",
  greatest(t.created_at, "e".created_at) as "event_timestamp",
  t.artist as "artist",
  ((e.analysis_data ->> 'joy')::float) as "i1"
from tracks t
left join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = null::text and _r.created_at is not null and (case coalesce(jsonb_typeof(_r.analysis_data -> null::text), 'null') when 'number' then abs((_r.analysis_data -> null::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange when 'string' then case when _r.analysis_data ->> null::text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$' then abs((_r.analysis_data ->> null::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange else false end when 'null' then true else false end) order by _r.created_at desc, _r.id desc limit 1) "e" on true
where t.id is not null
with no data;

-- helper ddl
alter table "fv_artist_profile_v1__by_track" add constraint "fv_artist_profile_v1__by_track_pkey" primary key ("track_id");

-- helper ddl
create index if not exists "fv_artist_profile_v1__by_track_artist" on "fv_artist_profile_v1__by_track" ("artist");

-- select (the rows)
--   $1 {"value":"emotion-distilroberta","type":"text"}
--   $2 {"value":"joy","type":"text"}
select t.artist as "artist",
  max(greatest(t.created_at, "e".created_at)) as "event_timestamp",
  (count(*))::integer as "tracks",
  (avg((e.analysis_data->>'joy')::float))::double precision as "joy"
from tracks t
left join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $1::text and _r.created_at is not null and (case coalesce(jsonb_typeof(_r.analysis_data -> $2::text), 'null') when 'number' then abs((_r.analysis_data -> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange when 'string' then case when _r.analysis_data ->> $2::text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$' then abs((_r.analysis_data ->> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange else false end when 'null' then true else false end) order by _r.created_at desc, _r.id desc limit 1) "e" on true
where t.artist is not null
group by t.artist;

-- before full
truncate "fv_artist_profile_v1__by_track";

-- before full
--   $1 {"value":"emotion-distilroberta","type":"text"}
--   $2 {"value":"joy","type":"text"}
insert into "fv_artist_profile_v1__by_track" ("track_id", "event_timestamp", "artist", "i1")
select t.id as "track_id",
  greatest(t.created_at, "e".created_at) as "event_timestamp",
  t.artist as "artist",
  ((e.analysis_data ->> 'joy')::float) as "i1"
from tracks t
left join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $1::text and _r.created_at is not null and (case coalesce(jsonb_typeof(_r.analysis_data -> $2::text), 'null') when 'number' then abs((_r.analysis_data -> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange when 'string' then case when _r.analysis_data ->> $2::text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$' then abs((_r.analysis_data ->> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange else false end when 'null' then true else false end) order by _r.created_at desc, _r.id desc limit 1) "e" on true
where t.id is not null;

-- full (into the staging table, swapped in afterwards)
insert into "fv_artist_profile_v1__next" ("artist", "event_timestamp", "tracks", "joy")
select _x."artist" as "artist",
  max(_x."event_timestamp") as "event_timestamp",
  ((count(*)))::integer as "tracks",
  ((avg(_x."i1")))::double precision as "joy"
from "fv_artist_profile_v1__by_track" _x
where _x."artist" is not null
group by _x."artist";

-- before incremental
create index if not exists "fv_artist_profile_v1__by_track_artist" on "fv_artist_profile_v1__by_track" ("artist");

-- before incremental
--   $1 {"value":"emotion-distilroberta","type":"text"}
--   $2 {"value":"joy","type":"text"}
--   $3 {"runtime":"watermark","type":"text"}
--   $4 {"runtime":"track_ids","type":"int[]"}
--   $5 {"value":["emotion-distilroberta"],"type":"text[]"}
insert into "fv_artist_profile_v1__by_track" ("track_id", "event_timestamp", "artist", "i1")
select t.id as "track_id",
  greatest(t.created_at, "e".created_at) as "event_timestamp",
  t.artist as "artist",
  ((e.analysis_data ->> 'joy')::float) as "i1"
from tracks t
left join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $1::text and _r.created_at is not null and (case coalesce(jsonb_typeof(_r.analysis_data -> $2::text), 'null') when 'number' then abs((_r.analysis_data -> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange when 'string' then case when _r.analysis_data ->> $2::text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$' then abs((_r.analysis_data ->> $2::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange else false end when 'null' then true else false end) order by _r.created_at desc, _r.id desc limit 1) "e" on true
where t.id is not null
  and t.id in (select _c.track_id from analysis_results _c where _c.created_at > $3::text::timestamp and _c.analyzer_type = any($5::text[]) union select _n.id from tracks _n where _n.created_at > $3::text::timestamp union select unnest($4::int[]))
on conflict ("track_id") do update set "event_timestamp" = excluded."event_timestamp", "artist" = excluded."artist", "i1" = excluded."i1";

-- before incremental
--   $1 {"runtime":"track_ids","type":"int[]"}
delete from "fv_artist_profile_v1__by_track" _x where _x."track_id" = any($1::int[]) and not exists (select from tracks t where t.id = _x."track_id");

-- incremental
--   $1 {"runtime":"watermark","type":"text"}
--   $2 {"runtime":"track_ids","type":"int[]"}
--   $3 {"value":["emotion-distilroberta"],"type":"text[]"}
--   $4 {"runtime":"artists","type":"text[]"}
insert into "fv_artist_profile_v1" ("artist", "event_timestamp", "tracks", "joy")
select _x."artist" as "artist",
  max(_x."event_timestamp") as "event_timestamp",
  ((count(*)))::integer as "tracks",
  ((avg(_x."i1")))::double precision as "joy"
from "fv_artist_profile_v1__by_track" _x
where _x."artist" is not null
  and _x."artist" in (select _m.artist from tracks _m where _m.id in (select _c.track_id from analysis_results _c where _c.created_at > $1::text::timestamp and _c.analyzer_type = any($3::text[]) union select _n.id from tracks _n where _n.created_at > $1::text::timestamp union select unnest($2::int[])) union select unnest($4::text[]))
group by _x."artist"
on conflict ("artist") do update set "event_timestamp" = excluded."event_timestamp", "tracks" = excluded."tracks", "joy" = excluded."joy", "materialized_at" = now();

-- keys the noted changes reach (removed where the incremental run wrote none)
--   $1 {"runtime":"track_ids","type":"int[]"}
--   $2 {"runtime":"artists","type":"text[]"}
select _m.artist as "key" from tracks _m where _m.id = any($1::int[]) and _m.artist is not null union select unnest($2::text[]);

-- point in time
--   $1 {"runtime":"entity_ids","type":"text[]"}
--   $2 {"runtime":"as_of","type":"text[]"}
--   $3 {"value":"emotion-distilroberta","type":"text"}
--   $4 {"value":"joy","type":"text"}
select _pit.ord, _pit.entity_id as "artist", _pit.as_of, f."event_timestamp", f."tracks", f."joy"
from unnest($1::text[], $2::text[]::timestamp[]) with ordinality as _pit(entity_id, as_of, ord)
left join lateral (
  select t.artist as "artist",
    max(greatest(t.created_at, "e".created_at)) as "event_timestamp",
    (count(*))::integer as "tracks",
    (avg((e.analysis_data->>'joy')::float))::double precision as "joy"
  from tracks t
  left join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $3::text and _r.created_at <= _pit.as_of and (case coalesce(jsonb_typeof(_r.analysis_data -> $4::text), 'null') when 'number' then abs((_r.analysis_data -> $4::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange when 'string' then case when _r.analysis_data ->> $4::text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$' then abs((_r.analysis_data ->> $4::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange else false end when 'null' then true else false end) order by _r.created_at desc, _r.id desc limit 1) "e" on true
  where t.artist is not null
    and t.artist = _pit.entity_id
    and coalesce(t.created_at <= _pit.as_of, true)
  group by t.artist
) f on true
order by _pit.ord;

-- point in time: each track's aggregate inputs at its changes
--   $1 {"runtime":"entity_ids","type":"text[]"}
--   $2 {"runtime":"aliases","type":"text[]"}
--   $3 {"value":["emotion-distilroberta"],"type":"text[]"}
--   $4 {"value":"emotion-distilroberta","type":"text"}
--   $5 {"value":"joy","type":"text"}
--   $6 {"value":"e","type":"text"}
select _pit.entity_id as "track_id", _pit.as_of as "at", f."artist", f."i1"
from (select t.id as entity_id, coalesce(t.created_at, '-infinity'::timestamp) as as_of from tracks t where t.artist = any($1::text[])
union
select t.id, _a.created_at from tracks t join analysis_results _a on _a.track_id = t.id and _a.analyzer_type = any($3::text[]) and _a.created_at > coalesce(t.created_at, '-infinity'::timestamp) where t.artist = any($1::text[])) _pit
cross join lateral (
  select t.id as "track_id",
    greatest(t.created_at, "e".created_at) as "event_timestamp",
    t.artist as "artist",
    ((e.analysis_data ->> 'joy')::float) as "i1"
  from tracks t
  left join lateral (select _r."id", _r."track_id", _r."analyzer_type", _r."sentiment", _r."confidence", _r."themes", _r."analysis_data", _r."created_at", _r."complexity_score", _r."processing_time_ms", _r."model_version" from analysis_results _r where _r.track_id = t.id and _r.analyzer_type = $4::text and _r.created_at <= _pit.as_of and (case coalesce(jsonb_typeof(_r.analysis_data -> $5::text), 'null') when 'number' then abs((_r.analysis_data -> $5::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange when 'string' then case when _r.analysis_data ->> $5::text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$' then abs((_r.analysis_data ->> $5::text)::numeric) <@ '{[0,0],[2.2250738585072014e-308,1e+150]}'::nummultirange else false end when 'null' then true else false end) and $6::text = any($2::text[]) order by _r.created_at desc, _r.id desc limit 1) "e" on true
  where t.id is not null
    and t.id = _pit.entity_id
    and coalesce(t.created_at <= _pit.as_of, true)
  offset 0
) f;

-- running total of tracks
(_s."n");

-- running total of joy
(_s."avg1");

-- watermark
--   $1 {"value":["emotion-distilroberta"],"type":"text[]"}
select greatest((select max(created_at) from tracks), (select max(created_at) from analysis_results where analyzer_type = any($1::text[]))) as "watermark";
