import { expect, it } from "vitest";
import { checkRows, MAX_PROBLEMS_PER_ROW } from "../../src/ingest/check-rows";

// A row of untrusted JSON with millions of unknown keys: each is a problem, and spreading them all
// into the batch's list overflowed the call stack (a 500 after 52 s on a 50 MB body).
it("a row with 300,000 unknown keys is reported by its first problems and a count, not a stack overflow", () => {
  const row: Record<string, unknown> = { track_id: 1, analyzer_type: "qwen-3-4b-fp8" };
  for (let i = 0; i < 300_000; i++) row[`k${i}`] = 0;
  const { problems } = checkRows({ analyses: [row] });
  expect(problems.length).toBe(MAX_PROBLEMS_PER_ROW + 1);
  expect(problems.at(-1)).toMatchObject({ index: 0, code: "too_many_problems" });
  expect(problems.at(-1)?.detail).toMatch(/^and \d+ more bad fields$/);
});
