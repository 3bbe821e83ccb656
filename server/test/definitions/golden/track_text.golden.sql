-- feature_view track_text@1 → fv_track_text_v1
-- content hash 0b1c7ab2b7498d5e3eca84241a56c5c8c4f7f38e14f869418d1ecc839b8c8a85

-- ddl
create table "fv_track_text_v1" (
  "track_id" integer constraint "fv_track_text_v1_pkey" primary key,
  "event_timestamp" timestamp,
  "materialized_at" timestamptz not null default now(),
  "has_lyrics" boolean,
  "genres" text[]
);

-- select (the rows)
select t.id as "track_id",
  t.created_at as "event_timestamp",
  (t.lyrics is not null)::boolean as "has_lyrics",
  (translate((t.spotify_data->'genres')::text, '[]', '{}')::text[])::text[] as "genres"
from tracks t
where t.id is not null;

-- full (into the staging table, swapped in afterwards)
insert into "fv_track_text_v1__next" ("track_id", "event_timestamp", "has_lyrics", "genres")
select t.id as "track_id",
  t.created_at as "event_timestamp",
  (t.lyrics is not null)::boolean as "has_lyrics",
  (translate((t.spotify_data->'genres')::text, '[]', '{}')::text[])::text[] as "genres"
from tracks t
where t.id is not null;

-- incremental
--   $1 {"runtime":"watermark","type":"text"}
--   $2 {"runtime":"track_ids","type":"int[]"}
insert into "fv_track_text_v1" ("track_id", "event_timestamp", "has_lyrics", "genres")
select t.id as "track_id",
  t.created_at as "event_timestamp",
  (t.lyrics is not null)::boolean as "has_lyrics",
  (translate((t.spotify_data->'genres')::text, '[]', '{}')::text[])::text[] as "genres"
from tracks t
where t.id is not null
  and t.id in (select _n.id from tracks _n where _n.created_at > $1::text::timestamp union select unnest($2::int[]))
on conflict ("track_id") do update set "event_timestamp" = excluded."event_timestamp", "has_lyrics" = excluded."has_lyrics", "genres" = excluded."genres", "materialized_at" = now();

-- keys the noted changes reach (removed where the incremental run wrote none)
--   $1 {"runtime":"track_ids","type":"int[]"}
select distinct unnest($1::int[]) as "key";

-- point in time
--   $1 {"runtime":"entity_ids","type":"integer[]"}
--   $2 {"runtime":"as_of","type":"text[]"}
select _pit.ord, _pit.entity_id as "track_id", _pit.as_of, f."event_timestamp", f."has_lyrics", f."genres"
from unnest($1::integer[], $2::text[]::timestamp[]) with ordinality as _pit(entity_id, as_of, ord)
left join lateral (
  select _m."event_timestamp", _m."has_lyrics", _m."genres"
  from "fv_track_text_v1" _m join tracks _t on _t.id = _m."track_id"
  where _m."track_id" = _pit.entity_id and coalesce(_t.created_at <= _pit.as_of, true)
  union all
  select _c."event_timestamp", _c."has_lyrics", _c."genres" from (
  select t.id as "track_id",
    t.created_at as "event_timestamp",
    (t.lyrics is not null)::boolean as "has_lyrics",
    (translate((t.spotify_data->'genres')::text, '[]', '{}')::text[])::text[] as "genres"
  from tracks t
  where t.id is not null
    and t.id = _pit.entity_id
    and coalesce(t.created_at <= _pit.as_of, true)
  ) _c where not exists (select from "fv_track_text_v1" _n where _n."track_id" = _pit.entity_id)
) f on true
order by _pit.ord;

-- point in time: a track's change instants
--   $1 {"runtime":"entity_ids","type":"integer[]"}
select t.id as entity_id, coalesce(t.created_at, '-infinity'::timestamp) as as_of from tracks t where t.id = any($1::integer[]);

-- watermark
select (select max(created_at) from tracks) as "watermark";
