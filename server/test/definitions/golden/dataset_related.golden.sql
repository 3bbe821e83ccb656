-- columns
--   track_text__has_lyrics bool ← track_text@1:has_lyrics
--   artist__artist_profile__joy float ← artist.artist_profile@1:joy
--   artist__artist_profile__tracks int ← artist.artist_profile@1:tracks

-- rows
--   $1 {"value":2,"type":"integer"}
select "fv_track_text_v1"."track_id", "fv_track_text_v1"."has_lyrics" as "track_text__has_lyrics", "artist__fv_artist_profile_v1"."joy" as "artist__artist_profile__joy", "artist__fv_artist_profile_v1"."tracks" as "artist__artist_profile__tracks"
from "fv_track_text_v1"
join "fv_track_credit_v1" on "fv_track_credit_v1"."track_id" = "fv_track_text_v1"."track_id"
left join "fv_artist_profile_v1" "artist__fv_artist_profile_v1" on "artist__fv_artist_profile_v1"."artist" = "fv_track_credit_v1"."artist_name"
where "artist__fv_artist_profile_v1"."tracks" > $1::integer
order by "fv_track_text_v1"."track_id";
