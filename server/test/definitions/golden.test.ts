import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileCatalog } from "../../src/definitions/compile/index";
import type { CompiledQuery } from "../../src/definitions/compile/params";
import type { CompiledView } from "../../src/definitions/compile/view";
import { loadDefinitions } from "../../src/definitions/load";

const fixtures = join(import.meta.dirname, "fixtures", "golden");
const golden = (name: string) => join(import.meta.dirname, "golden", `${name}.golden.sql`);

function section(title: string, query: CompiledQuery | string): string {
  if (typeof query === "string") return `-- ${title}\n${query};\n`;
  const params = query.params.map((p, i) => `--   $${i + 1} ${JSON.stringify(p)}`).join("\n");
  return `-- ${title}\n${params ? `${params}\n` : ""}${query.text};\n`;
}

function render(view: CompiledView): string {
  return [
    `-- ${view.kind} ${view.name}@${view.version} → ${view.table}`,
    `-- content hash ${view.hash}`,
    "",
    section("ddl", view.ddl),
    ...view.helperDdl.map((ddl) => section("helper ddl", ddl)),
    section("select (the rows)", view.select),
    ...view.fullBefore.map((q) => section("before full", q)),
    section("full (into the staging table, swapped in afterwards)", view.full),
    ...view.incrementalBefore.map((q) => section("before incremental", q)),
    section("incremental", view.incremental),
    section("keys the noted changes reach (removed where the incremental run wrote none)", view.touched),
    section("point in time", view.pointInTime),
    ...(view.pointInTimeChanges
      ? [section("point in time: a track's change instants", view.pointInTimeChanges)]
      : []),
    ...(view.pointInTimeHistory
      ? [
          section(
            "point in time: each track's aggregate inputs at its changes",
            view.pointInTimeHistory.changes,
          ),
          ...Object.entries(view.pointInTimeHistory.running).map(([name, sql]) =>
            section(`running total of ${name}`, sql),
          ),
        ]
      : []),
    section("watermark", view.watermark),
  ].join("\n");
}

describe("compiled SQL (golden files: `npx vitest run -u` rewrites them; review the diff)", async () => {
  const catalog = await compileCatalog(await loadDefinitions(fixtures));

  for (const name of ["llm_latest", "llm_preferred", "consensus", "artist_profile", "track_text"]) {
    it(`of feature view ${name}`, async () => {
      const view = catalog.views.find((v) => v.compiled.name === name);
      expect(view).toBeDefined();
      await expect(render((view as { compiled: CompiledView }).compiled)).toMatchFileSnapshot(golden(name));
    });
  }

  it("of a materialized embedding", async () => {
    const embedding = catalog.embeddings.find((e) => e.compiled.name === "analysis")?.compiled;
    const text = `${render(embedding?.view as CompiledView)}\n${section("hnsw index", embedding?.indexDdl("hnsw") ?? "")}`;
    await expect(text).toMatchFileSnapshot(golden("embedding_analysis"));
  });

  it("of a dataset taking a related entity's features through the track's artist relation", async () => {
    const dataset = catalog.datasets.find((d) => d.located.def.name === "open_with_artist")?.compiled;
    const columns = dataset?.columns.map((c) => `--   ${c.column} ${c.type} ← ${c.ref}`).join("\n");
    await expect(
      `-- columns\n${columns}\n\n${section("rows", dataset?.query as CompiledQuery)}`,
    ).toMatchFileSnapshot(golden("dataset_related"));
  });

  it("of a dataset", async () => {
    const dataset = catalog.datasets.find((d) => d.located.def.name === "open")?.compiled;
    const columns = dataset?.columns.map((c) => `--   ${c.column} ${c.type} ← ${c.ref}`).join("\n");
    await expect(
      `-- columns\n${columns}\n\n${section("rows", dataset?.query as CompiledQuery)}`,
    ).toMatchFileSnapshot(golden("dataset_open"));
  });

  it("never puts a definition's values into the SQL text", () => {
    const texts = catalog.views.flatMap((v) => [v.compiled.full.text, v.compiled.incremental.text]);
    for (const text of texts) {
      expect(text).not.toContain("qwen-3-4b-fp8");
      expect(text).not.toContain("emotion-distilroberta");
    }
  });
});
