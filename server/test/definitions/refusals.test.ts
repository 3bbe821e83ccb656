import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { compileCatalog } from "../../src/definitions/compile/index";
import { DefinitionError } from "../../src/definitions/errors";
import { parseDefinitions } from "../../src/definitions/load";
import { applyDefinitions, PlanRefusedError } from "../../src/registry/apply";
import { openEmbeddedTestDatabase } from "../support/databases";
import { definitionsDir, ENTITIES, view } from "./helpers";

async function problems(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (error) {
    if (error instanceof DefinitionError)
      return error.problems.map((p) => `${p.path.join(" → ")}: ${p.message}`);
    throw error;
  }
  throw new Error("expected a DefinitionError");
}

describe("definitions that never reach the database", () => {
  it("refuses an alias with no anchor before it, and a billion laughs, as invalid YAML instead of crashing", async () => {
    const laughs = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      laughs.push(
        `${"abcdefgh"[i]}: &${"abcdefgh"[i]} [${Array(10)
          .fill(`*${"abcdefgh"[i - 1]}`)
          .join(", ")}]`,
      );
    const found = await problems(async () =>
      parseDefinitions([
        { name: "entities.yaml", text: ENTITIES },
        { name: "alias.yaml", text: "kind: feature_view\nname: *a\n" },
        { name: "laughs.yaml", text: `${laughs.join("\n")}\n` },
      ]),
    );
    expect(found).toEqual([
      expect.stringMatching(/^alias\.yaml: invalid YAML: /),
      expect.stringMatching(/^laughs\.yaml: invalid YAML: .*alias/i),
    ]);
  });

  it("says where YAML broke in one line, quoting the line it points at, with no dangling colon", async () => {
    const found = await problems(async () =>
      parseDefinitions([
        { name: "entities.yaml", text: ENTITIES },
        { name: "keys.yaml", text: "kind: feature_view\nname: x\nentity\n" },
      ]),
    );
    expect(found).toEqual([
      'keys.yaml: invalid YAML: Implicit map keys need to be followed by map values at line 3, column 1: "entity"',
    ]);
  });

  it("reports bad YAML and schema problems of every file at once, with file → definition → feature paths", async () => {
    const found = await problems(async () =>
      parseDefinitions([
        { name: "entities.yaml", text: ENTITIES },
        { name: "broken.yaml", text: "kind: feature_view\nname: [unclosed\n" },
        {
          name: "views.yaml",
          text: `${view("ok_view", 1, ["energy: float = (a.analysis_data->>'energy')::float"])}---\n${view(
            "bad_view",
            1,
            ["energy: decimal = a.confidence"],
          )}`,
        },
        {
          name: "service.yaml",
          text: "kind: feature_service\nname: svc\nentity: track\ndescription: d\nfeatures: [nope:x, ok_view@2:energy]\n",
        },
      ]),
    );
    expect(found).toEqual([
      "broken.yaml: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 3, column 1",
      expect.stringMatching(/^views\.yaml → feature_view bad_view@1 → feature energy → type: Invalid option/),
      "service.yaml → feature_service svc: nope:x refers to unknown feature view nope",
      "service.yaml → feature_service svc: ok_view@2:energy refers to ok_view@2, which does not exist",
    ]);
  });

  it("refuses statements, subqueries and unknown aliases smuggled into an expression", async () => {
    const catalog = parseDefinitions([
      { name: "entities.yaml", text: ENTITIES },
      {
        name: "evil.yaml",
        text: view("evil", 1, [
          "drop: float = 1; drop table tracks",
          "sub: float = (select max(confidence) from analysis_results)",
          "other: string = u.password",
          "sleepy: float = pg_sleep(10)",
          "random: float = random()",
          "remote: string = public.dblink('host=x', 'select 1')",
          "union: int = 1 from tracks union select 2",
          "window: float = avg(a.confidence) over ()",
          "fine: float = a.confidence -- a comment; drop table tracks",
        ]),
      },
    ]);
    const found = await problems(() => compileCatalog(catalog));
    const at = "evil.yaml → feature_view evil@1 → feature";
    expect(found).toEqual([
      `${at} drop: expr must be one expression, not several statements`,
      `${at} sub: expr must not contain a subquery`,
      `${at} other: expr refers to u.password, but only a, t are in scope here`,
      `${at} sleepy: expr must not call pg_sleep(): it is not among the functions a feature may use`,
      `${at} random: expr must not call random(): it is not among the functions a feature may use`,
      `${at} remote: expr must not call public.dblink(): only built-in functions, unqualified or in pg_catalog, may be called`,
      `${at} union: expr must be a single scalar expression (no FROM, WHERE, UNION, AS or commas)`,
      `${at} window: expr must not contain a window function`,
    ]);
  });

  it("refuses an aggregate in a view that reads one row per entity", async () => {
    const catalog = parseDefinitions([
      { name: "entities.yaml", text: ENTITIES },
      { name: "v.yaml", text: view("v", 1, ["n: int = count(*)"]) },
    ]);
    expect(await problems(() => compileCatalog(catalog))).toEqual([
      "v.yaml → feature_view v@1 → feature n: expr is an aggregate, but this view reads one row per entity (use pick: aggregate)",
    ]);
  });
});

describe("definitions checked against the database", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openEmbeddedTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it("refuses unknown columns and type mismatches, all in one report", async () => {
    const defs = await definitionsDir({
      "entities.yaml": ENTITIES,
      "a.yaml": view("a_view", 1, [
        "missing: float = a.no_such_column",
        "typo: string = t.titel",
        "mismatch: bool = a.confidence",
        "text_as_number: float = a.analysis_data->>'energy'",
        "text_as_int: int = a.analysis_data->>'energy'",
        "good: float = a.confidence",
      ]),
      "b.yaml": view("b_view", 1, ["vector_as_int: int = t.lyrics_embedding"], "{ from: tracks }"),
    });
    try {
      const found = await problems(() => applyDefinitions(db.sql, defs.dir));
      const a = "a.yaml → feature_view a_view@1 → feature";
      expect(found).toEqual([
        `${a} missing: expr column a.no_such_column does not exist`,
        `${a} typo: expr column t.titel does not exist`,
        `${a} mismatch: expr cannot cast type numeric to boolean`,
        `${a} text_as_number: expr yields text, but the feature is declared float (cast it explicitly, e.g. (...)::float)`,
        `${a} text_as_int: expr yields text, but the feature is declared int (cast it explicitly, e.g. (...)::int)`,
        "b.yaml → feature_view b_view@1 → feature vector_as_int: expr cannot cast type vector to integer",
      ]);
      const [tables] = await db.sql`select count(*)::int as n from rapfs_feature_views`;
      expect(tables?.n).toBe(0);
    } finally {
      await defs.remove();
    }
  });

  it("refuses a changed published version and tells to bump it; description edits are applied", async () => {
    const v1 = view("scores", 1, ["confidence: float = a.confidence"]);
    const defs = await definitionsDir({ "entities.yaml": ENTITIES, "scores.yaml": v1 });
    try {
      expect((await applyDefinitions(db.sql, defs.dir)).applied).toBe(true);

      await defs.write({ "scores.yaml": v1.replace("description: scores", "description: Better words.") });
      const edit = await applyDefinitions(db.sql, defs.dir);
      expect(edit.text).toContain("~ feature_view scores@1: description");
      const [row] = await db.sql`select description from rapfs_feature_views where name = 'scores'`;
      expect(row?.description).toBe("Better words.");

      await defs.write({ "scores.yaml": v1.replace("a.confidence", "a.confidence * 100") });
      const refused = applyDefinitions(db.sql, defs.dir, { dryRun: true });
      await expect(refused).rejects.toBeInstanceOf(PlanRefusedError);
      await expect(refused).rejects.toThrow(
        /scores\.yaml → feature_view scores@1: version 1 is published and its compiled meaning changed .* bump the version \(add scores@2 with the change\)/,
      );

      const deprecated = v1.replace("owner: tests", "owner: tests\nstatus: deprecated\nsunset: 2027-01-31");
      await defs.write({
        "scores.yaml": `${deprecated}---\n${view("scores", 2, ["confidence: float = a.confidence * 100"])}`,
      });
      const bumped = await applyDefinitions(db.sql, defs.dir);
      expect(bumped.text).toContain("+ feature_view scores@2 (table fv_scores_v2)");
      expect(bumped.text).toMatch(/~ feature_view scores@1: .*active → deprecated \(sunset 2027-01-31\)/);
      const versions =
        await db.sql`select version from rapfs_feature_views where name = 'scores' order by version`;
      expect(versions.map((r) => r.version)).toEqual([1, 2]);
    } finally {
      await defs.remove();
    }
  });

  it("a version registered by an older compiler gets the SQL this one compiles; its meaning and data stay", async () => {
    const defs = await definitionsDir({
      "entities.yaml": ENTITIES,
      "older.yaml": view("older", 1, ["confidence: float = a.confidence"]),
    });
    try {
      await applyDefinitions(db.sql, defs.dir);
      const stored = async () =>
        (
          await db.sql<{ compiled: Record<string, unknown>; content_hash: string }[]>`
            select compiled, content_hash from rapfs_feature_views where name = 'older'`
        )[0];
      const fresh = await stored();
      await db.sql`
        update rapfs_feature_views
        set compiled = jsonb_set(compiled, '{point_in_time}', '{"text": "select 1", "params": []}')
        where name = 'older'`;
      // What an older rapfs left: its fingerprint had another compiler revision in it.
      await db.sql`update rapfs_definitions_checked set fingerprint = 'an older compiler'`;
      await applyDefinitions(db.sql, defs.dir);
      expect(await stored()).toEqual(fresh);
    } finally {
      await defs.remove();
    }
  });

  it("a view with a freshness objective applied again lists no change (the plan read no objective back)", async () => {
    const fresh = view("fresh", 1, ["confidence: float = a.confidence"]).replace(
      "owner: tests\n",
      "owner: tests\nfreshness: 30s\n",
    );
    const defs = await definitionsDir({ "entities.yaml": ENTITIES, "fresh.yaml": fresh });
    try {
      expect((await applyDefinitions(db.sql, defs.dir)).applied).toBe(true);
      const again = await applyDefinitions(db.sql, defs.dir, { dryRun: true });
      expect(again.plan.actions.filter((a) => a.action !== "missing")).toEqual([]);
      await defs.write({ "fresh.yaml": fresh.replace("freshness: 30s", "freshness: 45s") });
      const changed = await applyDefinitions(db.sql, defs.dir, { dryRun: true });
      expect(changed.plan.actions).toContainEqual(
        expect.objectContaining({ name: "fresh", changes: ["freshness_seconds"] }),
      );
    } finally {
      await defs.remove();
    }
  });

  it("checks definitions once: the same files again skip the check; a change of file, index kind or schema checks again", async () => {
    const v1 = view("checked", 1, ["confidence: float = a.confidence"]);
    const defs = await definitionsDir({ "entities.yaml": ENTITIES, "checked.yaml": v1 });
    try {
      expect((await applyDefinitions(db.sql, defs.dir)).checked).toBe(true);
      const again = await applyDefinitions(db.sql, defs.dir);
      expect(again).toMatchObject({ applied: true, checked: false });
      expect(again.plan.actions.filter((a) => a.action !== "missing")).toEqual([]);

      expect((await applyDefinitions(db.sql, defs.dir, { vectorIndex: "hnsw" })).checked).toBe(true);
      expect((await applyDefinitions(db.sql, defs.dir, { vectorIndex: "exact" })).checked).toBe(true);
      expect((await applyDefinitions(db.sql, defs.dir, { vectorIndex: "exact" })).checked).toBe(false);

      await defs.write({ "checked.yaml": v1.replace("description: checked", "description: Edited.") });
      expect((await applyDefinitions(db.sql, defs.dir)).checked).toBe(true);
      expect((await applyDefinitions(db.sql, defs.dir)).checked).toBe(false);

      // A new migration may change what an expression reads: the next start checks again.
      await db.sql`insert into rapfs_migrations (version, name, checksum) values (9999, '9999_test.sql', 'x')`;
      try {
        expect((await applyDefinitions(db.sql, defs.dir)).checked).toBe(true);
      } finally {
        await db.sql`delete from rapfs_migrations where version = 9999`;
      }
    } finally {
      await defs.remove();
    }
  });
});
