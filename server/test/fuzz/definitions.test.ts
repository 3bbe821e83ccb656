import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/env";
import { compileCatalog } from "../../src/definitions/compile/index";
import { DefinitionError } from "../../src/definitions/errors";
import { parseDefinitions, readDefinitionFiles, type SourceFile } from "../../src/definitions/load";

let shipped: SourceFile[] = [];
const tally = { cases: 0, compiled: 0, refused: 0 };

beforeAll(async () => {
  shipped = (await readDefinitionFiles(loadConfig({}).definitionsDir)).filter((f) => /\.ya?ml$/.test(f.name));
});

const token = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    ":",
    "- ",
    "  ",
    "\t",
    "{",
    "}",
    "[",
    "]",
    "&a",
    "*a",
    "!!binary",
    "'",
    '"',
    "#",
    "|",
    ">",
    "\n",
  ),
  fc.constantFrom("version: 0", "version: -1", "version: 1.5", "type: int", "type: vector", "expr: 1/0"),
  fc.constantFrom(
    "expr: (select 1)",
    "expr: pg_sleep(10)",
    "expr: analysis_data->>'x'; drop table tracks",
    "name: ''",
  ),
  fc.constantFrom(
    "entity: nope",
    "features: []",
    "features: null",
    "source: {}",
    "pick: random",
    "null",
    "~",
  ),
);

type Mutation = {
  kind: "delete" | "duplicate" | "insert" | "replace" | "swap" | "truncate" | "indent";
  at: number;
  other: number;
  token: string;
};
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom("delete", "duplicate", "insert", "replace", "swap", "truncate", "indent"),
  at: fc.nat(),
  other: fc.nat(),
  token,
});

function mutate(text: string, mutations: Mutation[]): string {
  let lines = text.split("\n");
  for (const m of mutations) {
    const i = m.at % Math.max(lines.length, 1);
    const j = m.other % Math.max(lines.length, 1);
    const line = lines[i] ?? "";
    if (m.kind === "delete") lines.splice(i, 1);
    else if (m.kind === "duplicate") lines.splice(i, 0, line);
    else if (m.kind === "insert") lines.splice(i, 0, `${" ".repeat(m.other % 8)}${m.token}`);
    else if (m.kind === "replace") {
      const col = m.other % (line.length + 1);
      lines[i] = `${line.slice(0, col)}${m.token}${line.slice(col + (m.other % 5))}`;
    } else if (m.kind === "swap") [lines[i], lines[j]] = [lines[j] ?? "", line];
    else if (m.kind === "truncate") lines = lines.slice(0, i);
    else lines[i] = `${" ".repeat(m.other % 4)}${line}`;
  }
  return lines.join("\n");
}

/** Parse and compile; a DefinitionError is the one acceptable failure. */
async function check(fileIndex: number, mutations: Mutation[]) {
  const files = shipped.map((f, i) =>
    i === fileIndex % shipped.length ? { ...f, text: mutate(f.text, mutations) } : f,
  );
  tally.cases++;
  try {
    await compileCatalog(parseDefinitions(files));
    tally.compiled++;
  } catch (error) {
    if (!(error instanceof DefinitionError)) throw error;
    expect(error.problems.length).toBeGreaterThan(0);
    for (const problem of error.problems) expect(problem.message).not.toBe("");
    tally.refused++;
  }
}

describe("fuzzing definition files", () => {
  it("compiles or refuses with located problems, never crashes", async () => {
    expect(shipped.length).toBeGreaterThan(3);
    await fc.assert(fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), check), {
      numRuns: 2_500,
      seed: 20_261_122,
    });
    console.info(
      `definition fuzz: ${tally.cases} catalogs, ${tally.compiled} compiled, ${tally.refused} refused`,
    );
    expect(tally.refused).toBeGreaterThan(0);
  }, 600_000);
});
