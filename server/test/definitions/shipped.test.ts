import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../src/config/paths";
import { compileCatalog } from "../../src/definitions/compile/index";
import { definitionJsonSchema, SCHEMA_FILE } from "../../src/definitions/json-schema";
import { loadDefinitions, readDefinitionFiles } from "../../src/definitions/load";
import { formatFeatureRef, parseFeatureRef } from "../../src/definitions/refs";

const dir = join(repoRoot, "feature-definitions");

describe("the shipped definitions", () => {
  it("compile, with ≥ 50 features over ≥ 6 views of both entities, and a ~50-feature hit_predictor", async () => {
    const catalog = await compileCatalog(await loadDefinitions(dir));
    const features = catalog.views.reduce((n, v) => n + v.compiled.columns.length, 0);
    expect(features).toBeGreaterThanOrEqual(50);
    expect(new Set(catalog.views.map((v) => v.compiled.name)).size).toBeGreaterThanOrEqual(6);
    expect(new Set(catalog.views.map((v) => v.compiled.entity))).toEqual(new Set(["track", "artist"]));
    expect(
      catalog.views.filter((v) => v.compiled.name === "qwen_analysis").map((v) => v.compiled.version),
    ).toEqual([1, 2]);
    const hit = catalog.services.find((s) => s.located.def.name === "hit_predictor");
    expect(hit?.resolved.length).toBeGreaterThanOrEqual(45);
    expect(catalog.embeddings.map((e) => [e.compiled.name, e.compiled.dimension, e.compiled.metric])).toEqual(
      [
        ["lyrics", 384, "cosine"],
        ["audio", 128, "cosine"],
        ["analysis", 256, "cosine"],
      ],
    );
    const open = catalog.datasets.find((d) => d.located.def.name === "public");
    expect(open?.located.def.license).toBeTruthy();
    expect(open?.compiled.columns.some((c) => c.feature === "lyrics")).toBe(false);
  });

  it("each reference the JSON Schema, which is up to date with the zod schema", async () => {
    const files = await readDefinitionFiles(dir);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files)
      expect(file.text.split("\n")[0], file.name).toBe(`# yaml-language-server: $schema=./${SCHEMA_FILE}`);
    const onDisk = JSON.parse(await readFile(join(dir, SCHEMA_FILE), "utf8"));
    // Regenerate with: npx tsx server/src/definitions/json-schema.ts
    expect(onDisk).toEqual(definitionJsonSchema());
  });
});

describe("feature references", () => {
  it.each([
    ["qwen_analysis@2:sentiment", { view: "qwen_analysis", version: 2, feature: "sentiment" }],
    ["qwen_analysis:sentiment", { view: "qwen_analysis", version: "latest", feature: "sentiment" }],
    ["qwen_analysis@2:*", { view: "qwen_analysis", version: 2, feature: "*" }],
  ])("parse %s", (ref, parsed) => {
    expect(parseFeatureRef(ref)).toEqual(parsed);
    expect(formatFeatureRef(parsed as never)).toBe(ref);
  });

  it.each(["qwen_analysis", "qwen_analysis@0:x", "Qwen:x", "a@2:b:c", "a@:b", "a:*x"])("refuse %s", (ref) => {
    expect(parseFeatureRef(ref)).toBeUndefined();
  });
});
