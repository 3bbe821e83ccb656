import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Sql } from "../../src/db/database";
import { bindParams } from "../../src/definitions/compile/params";
import { materializeAll, materializeTarget, type RunResult } from "../../src/materialize/runner";
import { listTargets } from "../../src/materialize/target";
import { getViewVersion } from "../../src/registry";
import { corpusDatabase } from "../materialize/corpus";
import { countingClient } from "../support/counted-sql";

const EMOTION = "emotion-distilroberta";

/**
 * A keyed run of one changed analysis is a few statements of a millisecond or less each on the
 * embedded database, so its time is the statements it sends (each a round trip, parsed and
 * planned): the bound on their number is what keeps one changed row within 1% of a full run
 * (`pnpm bench freshness-keyed`). Before: 18 statements for emotion_scores@1, 23 for artist_stats@1.
 */
describe("a keyed run of one changed analysis", () => {
  let db: Database;
  let counted: Sql;
  let statements: string[] | undefined;

  beforeAll(async () => {
    db = await corpusDatabase(37);
    await materializeAll(db.sql);
    counted = countingClient(db.sql, (query) => statements?.push(query));
    await counted`select 1`; // postgres.js reads the array types once per connection first
  });
  afterAll(async () => {
    await counted?.end();
    await db?.close();
  });

  /** One keyed run of `view` on the counting connection: its result and the statements it sent. */
  const keyedRun = async (view: string): Promise<{ run: RunResult; sent: string[] }> => {
    const [name, version] = view.split("@") as [string, string];
    const [target] = await listTargets(db.sql, { name, version: Number(version) });
    if (!target) throw new Error(`${view} is not applied`);
    statements = [];
    const run = await materializeTarget(counted, target);
    const sent = statements;
    statements = undefined;
    return { run, sent };
  };
  /** The rows the view holds for `keys` are the rows a full recompute gives them now. */
  const matchesRecompute = async (view: string, keys: unknown[]) => {
    const [name, version] = view.split("@") as [string, string];
    const found = await getViewVersion(db.sql, name, Number(version));
    if (!found?.compiled.select) throw new Error(`${view} is not applied`);
    const { select } = found.compiled;
    const key = found.keyColumn;
    const type = found.keyType === "int" ? "int[]" : "text[]";
    const rows = (text: string, params: unknown[]) =>
      db.sql.unsafe(
        `select * from (${text}) r where "${key}" = any($${params.length + 1}::${type}) order by 1`,
        [...params, keys.map(String)] as never[],
      );
    const expected = await rows(select.text, bindParams(select) as unknown[]);
    const held = await rows(`select * from ${found.table}`, []);
    const rounded = (_: string, value: unknown) =>
      typeof value === "number" && !Number.isInteger(value) ? Number(value.toPrecision(12)) : value;
    const text = (list: readonly Record<string, unknown>[]) =>
      list.map(({ materialized_at: _, ...rest }) => JSON.stringify(rest, rounded)).join("\n");
    return { held: text(held), expected: text(expected), count: held.length };
  };
  const trackAndArtist = async (offset: number) => {
    const [row] = await db.sql<{ track: number; artist: string; analysis: number }[]>`
      select a.track_id as track, t.artist, max(a.id)::int as analysis
      from analysis_results a join tracks t on t.id = a.track_id
      where a.analyzer_type = ${EMOTION} and t.artist is not null
      group by a.track_id, t.artist order by a.track_id limit 1 offset ${offset}`;
    if (!row) throw new Error("the corpus has too few tracks");
    return row;
  };

  it("updated: at most 9 statements for a track view and 15 for an artist view, and the rows a full run gives", async () => {
    const { track, artist, analysis } = await trackAndArtist(10);
    await db.sql`
      update analysis_results set analysis_data = analysis_data || '{"joy": 0.5}', confidence = 0.5
      where id = ${analysis}`;
    const emotion = await keyedRun("emotion_scores@1");
    expect(emotion.run).toMatchObject({ mode: "incremental", rowsWritten: 1, removedKeys: [] });
    expect(emotion.sent.length).toBeLessThanOrEqual(9);
    const artists = await keyedRun("artist_stats@1");
    expect(artists.run).toMatchObject({ mode: "incremental", keys: [artist], removedKeys: [] });
    // 12 for the run, 3 for its stored history (state, changed artists, their rows replaced).
    expect(artists.sent.length).toBeLessThanOrEqual(15);
    const joy = await matchesRecompute("emotion_scores@1", [track]);
    expect(joy.held).toBe(joy.expected);
    expect(joy.held).toContain('"joy":0.5');
    const stats = await matchesRecompute("artist_stats@1", [artist]);
    expect(stats.held).toBe(stats.expected);
  });

  it("deleted, the track's last emotion analysis: its key removed in as many statements, and the artist recomputed", async () => {
    const { track, artist } = await trackAndArtist(20);
    await db.sql`delete from analysis_results where track_id = ${track} and analyzer_type = ${EMOTION}`;
    const emotion = await keyedRun("emotion_scores@1");
    expect(emotion.run).toMatchObject({ mode: "incremental", rowsWritten: 0, removedKeys: [String(track)] });
    expect(emotion.sent.length).toBeLessThanOrEqual(9);
    const artists = await keyedRun("artist_stats@1");
    expect(artists.run).toMatchObject({ mode: "incremental", keys: [artist], removedKeys: [] });
    expect(artists.sent.length).toBeLessThanOrEqual(15);
    const gone = await matchesRecompute("emotion_scores@1", [track]);
    expect(gone).toMatchObject({ count: 0, held: gone.expected });
    const stats = await matchesRecompute("artist_stats@1", [artist]);
    expect(stats.held).toBe(stats.expected);
  });
});
