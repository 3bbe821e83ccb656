-- columns
--   llm_latest__sentiment string ← llm_latest@3:sentiment
--   llm_latest__quality float ← llm_latest@3:quality
--   llm_latest__title_words int ← llm_latest@3:title_words
--   track_text__has_lyrics bool ← track_text@1:has_lyrics

-- rows
--   $1 {"value":0.5,"type":"double precision"}
--   $2 {"value":true,"type":"boolean"}
select "fv_llm_latest_v3"."track_id", "fv_llm_latest_v3"."sentiment" as "llm_latest__sentiment", "fv_llm_latest_v3"."quality" as "llm_latest__quality", "fv_llm_latest_v3"."title_words" as "llm_latest__title_words", "fv_track_text_v1"."has_lyrics" as "track_text__has_lyrics"
from "fv_llm_latest_v3"
join "fv_track_text_v1" on "fv_track_text_v1"."track_id" = "fv_llm_latest_v3"."track_id"
where "fv_llm_latest_v3"."quality" > $1::double precision
  and "fv_track_text_v1"."has_lyrics" = $2::boolean
order by "fv_llm_latest_v3"."track_id";
