import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CorpusExistsError, corpusPlan, corpusStatus, generateCorpus } from "../../src/corpus";
import type { Database } from "../../src/db/database";
import { corpusDigest, openEmbeddedTestDatabase, TEST_SCALE } from "./fixture";

type Digest = Awaited<ReturnType<typeof corpusDigest>>;

describe("generation is deterministic and atomic", () => {
  let first: Database;
  let second: Database;
  let firstDigest: Digest;

  beforeAll(async () => {
    [first, second] = await Promise.all([openEmbeddedTestDatabase(), openEmbeddedTestDatabase()]);
    await generateCorpus(first, { scale: TEST_SCALE, seed: 42 });
    firstDigest = await corpusDigest(first.sql);
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });

  it("gives the bytes the INSERT-based generator gave for seed 42 (COPY and threads change nothing)", () => {
    expect(firstDigest).toEqual({
      tracks: "4e3c7b60280249850affb110da98767b",
      analyses: "d37ce6d842e041bf353c87fe1f8e39c3",
    });
  });

  it("gives byte-identical tables for the same seed in a fresh database, generated on this thread", async () => {
    await generateCorpus(second, { scale: TEST_SCALE, seed: 42, threads: 0 });
    expect(await corpusDigest(second.sql)).toEqual(firstDigest);
  });

  it("refuses to write over an existing corpus", async () => {
    await expect(generateCorpus(second, { scale: TEST_SCALE, seed: 42 })).rejects.toThrow(CorpusExistsError);
  });

  it("gives different data for another seed, and the same again after replacing", async () => {
    await generateCorpus(second, { scale: TEST_SCALE, seed: 7, replace: true });
    const other = await corpusDigest(second.sql);
    expect(other.tracks).not.toBe(firstDigest.tracks);
    expect(other.analyses).not.toBe(firstDigest.analyses);

    await generateCorpus(second, { scale: TEST_SCALE, seed: 42, replace: true, threads: 3 });
    expect(await corpusDigest(second.sql)).toEqual(firstDigest);
  });

  it("keeps socket clients out of the in-process load: they see the old corpus or the new, never an error", async () => {
    const plan = corpusPlan(TEST_SCALE);
    let loading = true;
    const load = generateCorpus(second, { scale: TEST_SCALE, seed: 42, replace: true }).finally(() => {
      loading = false;
    });
    const seen: number[] = [];
    while (loading) {
      const [row] = await second.sql<{ n: number }[]>`select count(*)::int as n from tracks`;
      seen.push(row?.n ?? -1);
    }
    await load;
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([plan.tracks]));
    expect(await corpusDigest(second.sql)).toEqual(firstDigest);
  });

  it("leaves the previous corpus when generation fails midway", async () => {
    const plan = corpusPlan(TEST_SCALE);
    await second.sql.unsafe(`
      create function fail_late_analysis() returns trigger language plpgsql as $$
      begin
        if new.id > ${plan.analyses - 100} then raise exception 'simulated crash'; end if;
        return new;
      end $$;
      create trigger fail_late_analysis before insert on analysis_results
        for each row execute function fail_late_analysis();`);
    try {
      await expect(generateCorpus(second, { scale: TEST_SCALE, seed: 7, replace: true })).rejects.toThrow(
        /simulated crash/,
      );
    } finally {
      await second.sql.unsafe(
        "drop trigger fail_late_analysis on analysis_results; drop function fail_late_analysis()",
      );
    }
    expect(await corpusStatus(second.sql)).toEqual({ tracks: plan.tracks, analyses: plan.analyses });
    expect(await corpusDigest(second.sql)).toEqual(firstDigest);
  });
});
