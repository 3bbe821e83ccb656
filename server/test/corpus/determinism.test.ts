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
    await generateCorpus(first.sql, { scale: TEST_SCALE, seed: 42 });
    firstDigest = await corpusDigest(first.sql);
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });

  it("gives byte-identical tables for the same seed in a fresh database", async () => {
    await generateCorpus(second.sql, { scale: TEST_SCALE, seed: 42 });
    expect(await corpusDigest(second.sql)).toEqual(firstDigest);
  });

  it("refuses to write over an existing corpus", async () => {
    await expect(generateCorpus(second.sql, { scale: TEST_SCALE, seed: 42 })).rejects.toThrow(
      CorpusExistsError,
    );
  });

  it("gives different data for another seed, and the same again after replacing", async () => {
    await generateCorpus(second.sql, { scale: TEST_SCALE, seed: 7, replace: true });
    const other = await corpusDigest(second.sql);
    expect(other.tracks).not.toBe(firstDigest.tracks);
    expect(other.analyses).not.toBe(firstDigest.analyses);

    await generateCorpus(second.sql, { scale: TEST_SCALE, seed: 42, replace: true });
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
      await expect(generateCorpus(second.sql, { scale: TEST_SCALE, seed: 7, replace: true })).rejects.toThrow(
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
