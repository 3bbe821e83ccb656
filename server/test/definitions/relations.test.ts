import { describe, expect, it } from "vitest";
import { compileCatalog } from "../../src/definitions/compile/index";
import { DefinitionError } from "../../src/definitions/errors";
import { parseDefinitions } from "../../src/definitions/load";
import { view } from "./helpers";

const entities = (relations: string) => `
kind: entity
name: track
description: A track.
key: { column: track_id, type: int }
${relations}
---
kind: entity
name: artist
description: An artist.
key: { column: artist, type: string }
`;

const ARTIST_RELATION = "relations:\n  artist: { entity: artist, key: track_artist@1:artist_name }";
const KEY_VIEW = view(
  "track_artist",
  1,
  ["artist_name: string = t.artist", "year: int = 2020"],
  "{ from: tracks }",
);
const ARTIST_VIEW = `kind: feature_view
name: artist_stats
version: 1
entity: artist
description: per artist
owner: tests
source: { from: tracks, pick: aggregate }
features:
  - { name: track_count, type: int, expr: "count(*)", description: tracks }
`;

function parse(relations: string, service: string) {
  return parseDefinitions([
    { name: "entities.yaml", text: entities(relations) },
    { name: "views.yaml", text: `${KEY_VIEW}---\n${ARTIST_VIEW}` },
    { name: "service.yaml", text: service },
  ]);
}

const service = (features: string[]) =>
  `kind: feature_service\nname: svc\nentity: track\ndescription: d\nfeatures: [${features.join(", ")}]\n`;

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof DefinitionError)
      return error.problems.map((p) => `${p.path.join(" → ")}: ${p.message}`);
    throw error;
  }
  throw new Error("expected a DefinitionError");
}

describe("entity relations in definitions", () => {
  it("resolve an artist view on a track through the relation, named or implied, to one canonical reference", async () => {
    const catalog = parse(ARTIST_RELATION, service(["artist_stats@1:*", "artist.artist_stats:track_count"]));
    const compiled = await compileCatalog(catalog);
    expect(compiled.services[0]?.resolved).toEqual([
      {
        view: "artist_stats",
        version: 1,
        feature: "track_count",
        ref: "artist.artist_stats@1:track_count",
        relation: "artist",
      },
    ]);
  });

  it("refuses an artist view on a track without a relation, and names what is wrong", () => {
    expect(problems(() => parse("", service(["artist_stats@1:*"])))).toEqual([
      "service.yaml → feature_service svc: artist_stats@1:* belongs to entity artist, which entity track has no relation to",
    ]);
    expect(problems(() => parse(ARTIST_RELATION, service(["label.artist_stats@1:*"])))).toEqual([
      "service.yaml → feature_service svc: label.artist_stats@1:* names relation label, which entity track does not have (its relations are artist)",
    ]);
  });

  it("asks to name the relation when two reach the same entity", async () => {
    const two = `${ARTIST_RELATION}\n  producer: { entity: artist, key: track_artist@1:artist_name }`;
    expect(problems(() => parse(two, service(["artist_stats@1:*"])))).toEqual([
      "service.yaml → feature_service svc: artist_stats@1:* belongs to entity artist, reached through several relations (artist, producer): name one, as artist.view@version:feature",
    ]);
    const compiled = await compileCatalog(parse(two, service(["producer.artist_stats@1:track_count"])));
    expect(compiled.services[0]?.resolved.map((r) => r.ref)).toEqual(["producer.artist_stats@1:track_count"]);
  });

  it("refuses a relation whose key is unpinned, missing, of the wrong type or of another entity", () => {
    const relations = [
      "relations:",
      "  a: { entity: artist, key: track_artist@2:artist_name }",
      "  b: { entity: artist, key: track_artist@1:year }",
      "  c: { entity: artist, key: artist_stats@1:track_count }",
      "  d: { entity: track, key: track_artist@1:year }",
    ].join("\n");
    expect(problems(() => parse(relations, service(["track_artist@1:year"])))).toEqual([
      "entities.yaml → entity track → relation a: key track_artist@2:artist_name refers to a view version that does not exist",
      "entities.yaml → entity track → relation b: key track_artist@1:year is int, but entity artist's key is string",
      "entities.yaml → entity track → relation c: key artist_stats@1:track_count is a feature of entity artist, not track",
      "entities.yaml → entity track → relation c: key artist_stats@1:track_count is int, but entity artist's key is string",
      "entities.yaml → entity track → relation d: relates the entity to itself",
    ]);
    expect(
      problems(() =>
        parse(
          "relations:\n  a: { entity: artist, key: track_artist:artist_name }",
          service(["track_artist@1:year"]),
        ),
      ),
    ).toContainEqual(expect.stringMatching(/relations → a → key: must be a pinned reference/));
  });

  it("refuses an entity key other than the column its views are keyed by", () => {
    const catalog = [
      {
        name: "entities.yaml",
        text: entities("").replace("{ column: artist, type: string }", "{ column: artist, type: int }"),
      },
      { name: "views.yaml", text: KEY_VIEW },
    ];
    expect(problems(() => parseDefinitions(catalog))).toEqual([
      "entities.yaml → entity artist → key: must be { column: artist, type: string }: artist views are keyed by it",
    ]);
  });
});
