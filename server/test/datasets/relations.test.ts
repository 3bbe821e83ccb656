import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { materializeAll } from "../../src/materialize/runner";
import { bytes, type DatasetsHarness, datasetsHarness, get, readArrowIpc } from "./support";

const ARTIST_STATS = ["track_count", "max_popularity", "avg_quality", "first_track_at"];
const related = (f: string) => `artist__artist_stats__${f}`;

describe("a track's artist features through the artist relation, in downloads and point-in-time training", () => {
  let h: DatasetsHarness;
  let artist: string;
  /** An older track of the artist, and when the artist's newest track (added by the test) arrived. */
  let track: { id: number; created_at: Date };
  let newTrackAt: Date;

  const upload = async (entity: string, rows: Record<string, unknown>[], features: string) => {
    const response = await get(
      h,
      `/v1/datasets/training?entity=${entity}&features=${encodeURIComponent(features)}&format=arrow`,
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(rows) },
    );
    expect(response.status, await response.clone().text()).toBe(200);
    return readArrowIpc(await bytes(response)).rows;
  };

  /** What artist_stats@1:track_count and max_popularity were as of `at`, from the raw tracks. */
  const rawAsOf = async (at: Date) => {
    const [row] = await h.db.sql<{ n: number; max: number | null }[]>`
      select count(*)::float8 as n, max((spotify_data->>'popularity')::float) as max from tracks
      where artist = ${artist} and created_at <= ${at.toISOString()}::timestamp`;
    return { track_count: row?.n ?? 0, max_popularity: row?.max ?? null };
  };

  beforeAll(async () => {
    h = await datasetsHarness();
    const [pick] = await h.db.sql<{ artist: string; id: number; created_at: Date; last: Date }[]>`
      select artist, (array_agg(id order by created_at))[2] as id, (array_agg(created_at order by created_at))[2] as created_at,
        max(created_at) as last
      from tracks where artist is not null group by artist having count(*) >= 3 order by artist limit 1`;
    if (!pick) throw new Error("no artist with three tracks");
    artist = pick.artist;
    track = { id: pick.id, created_at: pick.created_at };
    // The artist's newest track, with a popularity none of theirs had and a top-quality analysis:
    // the artist's features change at newTrackAt, and a row before it must not see them.
    newTrackAt = new Date(pick.last.getTime() + 86_400_000);
    const [added] = await h.db.sql<{ id: number }[]>`
      insert into tracks (title, artist, lyrics, created_at, spotify_data)
      values ('The Future', ${artist}, 'words from the future', ${newTrackAt.toISOString()}::timestamp,
        ${h.db.sql.json({ popularity: 101, explicit: false, genres: [] })})
      returning id`;
    await h.db.sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, analysis_data, created_at, model_version)
      values (${added?.id as number}, 'qwen-3-4b-fp8', 'positive', 0.9, ${h.db.sql.json({ quality_score: 10 })},
        ${newTrackAt.toISOString()}::timestamp, 'future')`;
    await materializeAll(h.db.sql, { full: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a download of the track's artist features equals the artist's own row, for every track", async () => {
    const features = `track_artist@1:artist_name,artist_stats@1:*`;
    const tracks = readArrowIpc(
      await bytes(
        await get(h, `/v1/datasets/public/download?features=${encodeURIComponent(features)}&format=arrow`),
      ),
    ).rows;
    expect(tracks.length).toBeGreaterThan(100);
    const stats = await h.db.sql<{ artist: string; track_count: number; avg_quality: number | null }[]>`
      select artist, track_count, avg_quality from fv_artist_stats_v1`;
    const byArtist = new Map(stats.map((s) => [s.artist, s]));
    for (const row of tracks) {
      const own = byArtist.get(row.track_artist__artist_name as string);
      expect(row[related("track_count")]).toBe(own?.track_count ?? null);
      expect(row[related("avg_quality")]).toBe(own?.avg_quality ?? null);
    }
    const mine = tracks.find((r) => r.track_id === track.id);
    expect(mine?.track_artist__artist_name).toBe(artist);
    expect(mine?.[related("max_popularity")]).toBe(101);
  });

  it("the public dataset carries the artist and the artist's aggregates, and its card says where they come from", async () => {
    const card = (await (await get(h, "/v1/datasets/public")).json()) as {
      columns: { name: string; source: string; description: string }[];
    };
    const columns = new Map(card.columns.map((c) => [c.name, c]));
    expect(columns.get("track_artist__artist_name")?.source).toBe("track_artist@1:artist_name");
    expect(columns.get(related("avg_quality"))?.source).toBe("artist.artist_stats@1:avg_quality");
    expect(columns.has(related("track_count"))).toBe(true);
  });

  it("training rows take the artist's features as of each row's time: equal to the artist's own training rows, no future leakage", async () => {
    const at = (d: Date, ms: number) => new Date(d.getTime() + ms);
    const times = [
      at(track.created_at, -1000), // before the track existed: it has no artist yet
      at(track.created_at, 0),
      at(newTrackAt, -1000), // the artist's newest track is a second away
      newTrackAt,
      at(newTrackAt, 86_400_000),
    ];
    const features = ARTIST_STATS.map((f) => `artist_stats@1:${f}`).join(",");
    const viaTrack = await upload(
      "track",
      times.map((t, i) => ({ track_id: track.id, event_timestamp: t.toISOString(), label: i })),
      features,
    );
    const viaArtist = await upload(
      "artist",
      times.map((t, i) => ({ artist, event_timestamp: t.toISOString(), label: i })),
      features,
    );
    expect(viaTrack.map((r) => r.label)).toEqual([0, 1, 2, 3, 4]);

    // Before the track existed, the relation held no artist: nothing of the artist is known.
    for (const f of ARTIST_STATS) expect(viaTrack[0]?.[related(f)]).toBeNull();
    // From then on, the artist's values as of the row's time, as the artist's own rows have them.
    for (let i = 1; i < times.length; i++) {
      for (const f of ARTIST_STATS) {
        expect(viaTrack[i]?.[related(f)], `row ${i} ${f}`).toEqual(viaArtist[i]?.[`artist_stats__${f}`]);
      }
      const raw = await rawAsOf(times[i] as Date);
      expect(viaTrack[i]?.[related("track_count")]).toBe(raw.track_count);
      expect(viaTrack[i]?.[related("max_popularity")]).toBe(raw.max_popularity);
    }
    // A second before the newest track: none of it; at its time: all of it.
    expect(viaTrack[2]?.[related("max_popularity")]).not.toBe(101);
    expect(viaTrack[3]?.[related("max_popularity")]).toBe(101);
    expect(viaTrack[3]?.[related("track_count")]).toBe((viaTrack[2]?.[related("track_count")] as number) + 1);
    expect(viaTrack[2]?.[related("avg_quality")]).not.toEqual(viaTrack[3]?.[related("avg_quality")]);
  });

  it("an as_of download takes each track's artist as of that time too", async () => {
    const download = async (asOf: Date) => {
      const features = encodeURIComponent(
        "track_artist@1:artist_name,artist_stats@1:max_popularity,artist_stats@1:track_count",
      );
      const path = `/v1/datasets/public/download?features=${features}&as_of=${asOf.toISOString()}&format=arrow`;
      const response = await get(h, path);
      expect(response.status, await response.clone().text()).toBe(200);
      return readArrowIpc(await bytes(response)).rows.find((r) => r.track_id === track.id);
    };
    const before = await download(new Date(newTrackAt.getTime() - 1000));
    const after = await download(newTrackAt);
    expect(before?.track_artist__artist_name).toBe(artist);
    expect(before?.[related("track_count")]).toBe(
      (await rawAsOf(new Date(newTrackAt.getTime() - 1000))).track_count,
    );
    expect(before?.[related("max_popularity")]).not.toBe(101);
    expect(after?.[related("track_count")]).toBe((before?.[related("track_count")] as number) + 1);
    expect(after?.[related("max_popularity")]).toBe(101);
  });

  it("training through a service or the public dataset takes the related features too", async () => {
    const rows = [{ track_id: track.id, event_timestamp: newTrackAt.toISOString() }];
    const response = await get(h, "/v1/datasets/training?service=artist_context&format=arrow", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(rows),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const [row] = readArrowIpc(await bytes(response)).rows;
    expect(row?.track_artist__artist_name).toBe(artist);
    expect(row?.[related("max_popularity")]).toBe(101);
    const publicRows = await get(h, "/v1/datasets/training?dataset=public&format=arrow", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(rows),
    });
    expect(publicRows.status, await publicRows.clone().text()).toBe(200);
    const [pub] = readArrowIpc(await bytes(publicRows)).rows;
    expect(pub?.track_artist__artist_name).toBe(artist);
    expect(pub?.[related("track_count")]).toBe(row?.[related("track_count")]);
  });
});
