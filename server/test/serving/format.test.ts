import { describe, expect, it } from "vitest";
import { FeatureCodec, valuesOf } from "../../src/api/features/codec";
import type { FeatureTable } from "../../src/serving";

const codec = new FeatureCodec();
const valuesJson = (t: FeatureTable, i: number) => codec.valuesJson(t, i);
const columnsJson = (t: FeatureTable) => codec.columnsJson(t);

const column = (viewKey: string, feature: string) => ({
  ref: `${viewKey}:${feature}`,
  view: viewKey.split("@")[0] as string,
  version: Number(viewKey.split("@")[1]),
  feature,
  type: "string" as const,
  viewKey,
  planKey: viewKey,
});

function table(): FeatureTable {
  const columns = [
    column("a@1", "n"),
    column("a@1", "s"),
    column("b@2", "x"),
    column("a@1", "gone"),
    column("c@1", 'q"uote'),
  ];
  const plan = (key: string) => ({
    planKey: key,
    view: { viewKey: key } as never,
    columns: columns.filter((c) => c.viewKey === key),
  });
  return {
    resolution: {
      entity: { name: "track" } as never,
      columns,
      views: [plan("a@1"), plan("b@2"), plan("c@1")],
      deprecated: [],
      headers: {},
    },
    ids: [{ id: 1, key: "1" }] as never,
    rows: [
      [
        {
          id: "1",
          values: { n: 1.5, s: 'he said "hi"\n', gone: null },
          eventTimestamp: "2025-01-01T00:00:00.000000Z",
        },
      ],
      [undefined],
      [{ id: "1", values: { 'q"uote': [1, { k: true }] }, eventTimestamp: "" }],
    ],
  };
}

describe("valuesJson", () => {
  it("is the JSON of valuesOf: present, null, not found, escaped keys and values, no timestamp", () => {
    const t = table();
    expect(valuesJson(t, 0)).toBe(JSON.stringify(valuesOf(t, 0)));
    // A second call reuses the resolution's key fragments.
    expect(JSON.parse(valuesJson(t, 0))).toEqual(valuesOf(t, 0));
  });
});

describe("columnsJson", () => {
  it("is each column's values in id order, with statuses only where one is not present", () => {
    const t = table();
    const second = {
      id: "2",
      values: { n: 2, s: null, gone: 7 },
      eventTimestamp: "2025-01-02T00:00:00.000000Z",
    };
    t.ids = [
      { id: 1, key: "1" },
      { id: 2, key: "2" },
      { id: 3, key: "3" },
    ] as never;
    const third = {
      id: "3",
      values: { n: 3, s: "x", gone: 1 },
      eventTimestamp: "2025-01-03T00:00:00.000000Z",
    };
    t.rows = [
      [t.rows[0]?.[0], second, third],
      [undefined, undefined, undefined],
      [t.rows[2]?.[0], undefined, undefined],
    ];
    const expected: Record<string, { values: unknown[]; statuses?: string[] }> = {};
    for (const column of t.resolution.columns) {
      const values = t.ids.map((_, i) => valuesOf(t, i)[column.ref]);
      const statuses = values.map((v) => v?.status as string);
      expected[column.ref] = {
        values: values.map((v) => v?.value),
        ...(statuses.every((s) => s === "present") ? {} : { statuses }),
      };
    }
    expect(expected["a@1:n"]?.statuses).toBeUndefined();
    expect(expected["a@1:s"]?.statuses).toEqual(["present", "null", "present"]);
    expect(JSON.parse(columnsJson(t))).toEqual(expected);
    // Twice: the second answer comes from the row texts kept by the first.
    expect(JSON.parse(columnsJson(t))).toEqual(expected);
  });
});

describe("a wide table (more ids than the codec keeps row texts for)", () => {
  /** `n` ids over table()'s columns: a row of a@1 for each, b@2 for none, c@1 for every third. */
  function wide(n: number): FeatureTable {
    const t = table();
    t.ids = Array.from({ length: n }, (_, i) => ({ id: i + 1, key: String(i + 1) })) as never;
    const a = Array.from({ length: n }, (_, i) => ({
      id: String(i + 1),
      values: { n: i / 3, s: i % 5 === 0 ? null : `s"${i}`, gone: i % 2 === 0 ? null : [i] },
      eventTimestamp: `2025-01-01T00:00:${String(i % 60).padStart(2, "0")}.000000Z`,
    }));
    const c = Array.from({ length: n }, (_, i) =>
      i % 3 === 0 ? { id: String(i + 1), values: { 'q"uote': { i } }, eventTimestamp: "" } : undefined,
    );
    t.rows = [a, Array.from({ length: n }, () => undefined), c];
    return t;
  }

  it("writes the same rows and columns as a narrow one, each id's values its own", () => {
    const t = wide(300);
    for (const i of [0, 1, 2, 3, 150, 299]) expect(valuesJson(t, i)).toBe(JSON.stringify(valuesOf(t, i)));
    const columns = JSON.parse(columnsJson(t)) as Record<string, { values: unknown[] }>;
    expect(columns["a@1:n"]?.values).toEqual(t.ids.map((_, i) => i / 3));
    expect(columns['c@1:q"uote']?.values[3]).toEqual({ i: 3 });
    const body = JSON.parse([...codec.rowsBody('{"entity":"track"}', t)].join("")) as {
      rows: { id: number; features: unknown }[];
    };
    expect(body.rows).toHaveLength(300);
    expect(body.rows[299]).toEqual({ id: 300, features: valuesOf(t, 299) });
    // The narrow table of the same rows answers the same for its ids.
    const narrow = wide(3);
    expect(valuesJson(narrow, 2)).toBe(valuesJson(t, 2));
  });
});
