import {
  type FeatureTable,
  type OnlineRow,
  type ResolvedColumn,
  type Selection,
  splitRefList,
  WIDE_READ_IDS,
} from "../../usecases";
import { type SelectionInput, selectionOf } from "../routes/features/schemas";

export type ValueStatus = "present" | "null" | "not_found";
export type FeatureValue = { value: unknown; status: ValueStatus; event_timestamp: string | null };

const NOT_FOUND: FeatureValue = Object.freeze({ value: null, status: "not_found", event_timestamp: null });

export function featureValue(row: OnlineRow | undefined, feature: string): FeatureValue {
  if (!row) return NOT_FOUND;
  const value = row.values[feature] ?? null;
  return { value, status: value === null ? "null" : "present", event_timestamp: row.eventTimestamp || null };
}

/** For each resolved column, the index of its view plan in `table.rows`. */
function columnViews(table: FeatureTable): number[] {
  const index = new Map(table.resolution.views.map((plan, i) => [plan.planKey, i]));
  return table.resolution.columns.map((c) => index.get(c.planKey) as number);
}

/** The values of the i-th id, keyed by canonical reference in requested order. */
export function valuesOf(
  table: FeatureTable,
  i: number,
  views = columnViews(table),
): Record<string, FeatureValue> {
  const out: Record<string, FeatureValue> = {};
  table.resolution.columns.forEach((column, c) => {
    out[column.ref] = featureValue(table.rows[views[c] as number]?.[i], column.feature);
  });
  return out;
}

/** Per column: its reference as JSON, the row form's key fragment, its view plan and value slot. */
type JsonPlan = { refs: string[]; keys: string[]; views: number[]; slots: number[] };

/** A row's values (by slot) and timestamp as JSON text, made once per row and reused while it is. */
type RowText = { values: (string | undefined)[]; stamp?: string };

// A hot GET repeats the same `features=` string: split once (bounded, cleared when full).
const SPLIT_MEMO_LIMIT = 1_000;
/** A wide table's value texts are made for its own body, not kept by row (WIDE_READ_IDS). */
const keepsTexts = (table: FeatureTable) => table.ids.length <= WIDE_READ_IDS;

/**
 * The feature routes' HTTP representation: reads a selection from a request, and writes feature
 * bodies as JSON text directly, keeping what it can reuse between requests — the split of a hot
 * `features=` string, each resolution's key fragments, each row's value texts.
 */
export class FeatureCodec {
  private readonly splits = new Map<string, string[]>();
  /** Per view version, a slot per feature name: a row's value texts are kept in an array by slot. */
  private readonly slotsByView = new Map<string, Map<string, number>>();
  private readonly jsonPlans = new WeakMap<FeatureTable["resolution"], JsonPlan>();
  private readonly rowTexts = new WeakMap<OnlineRow, RowText>();

  /** Either a features list (split on commas) or a service; both or neither is a 400. */
  selection(input: SelectionInput, where: "query" | "json"): Selection {
    return selectionOf(input, where, (features) => this.split(features));
  }

  /**
   * `JSON.stringify(valuesOf(table, i))` without building the 50 value objects: the keys' JSON is
   * made once per resolution, each row's value texts and timestamp once per row (profiled: the
   * single lookup's generic serialization was ~8% of its CPU).
   */
  valuesJson(table: FeatureTable, i: number): string {
    const plan = this.planOf(table);
    const { columns } = table.resolution;
    const parts = new Array<string>(columns.length);
    // Per view, this row's texts when they are not kept: made once for its columns.
    const ownTexts = keepsTexts(table) ? undefined : new Array<RowText | undefined>(table.rows.length);
    for (let c = 0; c < columns.length; c++) {
      const v = plan.views[c] as number;
      const row = table.rows[v]?.[i];
      if (!row) {
        parts[c] = `${plan.keys[c]}null,"status":"not_found","event_timestamp":null}`;
        continue;
      }
      const text = ownTexts ? ownText(ownTexts, v) : this.textOf(row);
      const value = valueTextOf(row, text, (columns[c] as ResolvedColumn).feature, plan.slots[c] as number);
      const status = value === "null" ? "null" : "present";
      parts[c] = `${plan.keys[c]}${value},"status":"${status}","event_timestamp":${stampTextOf(row, text)}}`;
    }
    return `{${parts.join(",")}}`;
  }

  /** The FeatureVector body of the table's first id: its entity, id, service and values. */
  featureVectorJson(entity: string, table: FeatureTable): string {
    const { service } = table.resolution;
    const head = JSON.stringify({ entity, id: table.ids[0]?.id, ...(service ? { service } : {}) });
    return `${head.slice(0, -1)},"features":${this.valuesJson(table, 0)}}`;
  }

  /**
   * The columnar batch body's `event_timestamps`: per view version (`relation.view@version` for a
   * related entity's), each id's event timestamp (null where it has no row). A timestamp belongs to a view's row, so it is sent once per row,
   * not once per feature (a 100 × 50 batch: ~500 timestamps instead of 5,000).
   */
  timestampsJson(table: FeatureTable): string {
    const keep = keepsTexts(table);
    const parts = table.resolution.views.map((plan, v) => {
      const rows = table.rows[v] ?? [];
      let list = "[";
      for (let i = 0; i < table.ids.length; i++) {
        const row = rows[i];
        if (i > 0) list += ",";
        list += row ? (keep ? stampTextOf(row, this.textOf(row)) : stampJson(row)) : "null";
      }
      return `${JSON.stringify(plan.planKey)}:${list}]`;
    });
    return `{${parts.join(",")}}`;
  }

  /**
   * The columnar batch body's `columns`: per reference, its values in id order, and their statuses
   * unless every value is present.
   */
  columnsJson(table: FeatureTable): string {
    return `{${[...this.columnParts(table)].join(",")}}`;
  }

  /**
   * FeatureRowsSchema's JSON from `head` (the body's fields before `rows`, as an object's JSON), a
   * row at a time, for a body sent in slices (api/sliced-text.ts).
   */
  *rowsBody(head: string, table: FeatureTable): Iterable<string> {
    yield `${head.slice(0, -1)},"rows":[`;
    for (let i = 0; i < table.ids.length; i++) {
      const id = JSON.stringify((table.ids[i] as FeatureTable["ids"][number]).id);
      yield `${i > 0 ? "," : ""}{"id":${id},"features":${this.valuesJson(table, i)}}`;
    }
    yield "]}";
  }

  /** FeatureColumnsSchema's JSON from `head` (the body's fields before `event_timestamps`), a column at a time. */
  *columnsBody(head: string, table: FeatureTable): Iterable<string> {
    yield `${head.slice(0, -1)},"event_timestamps":${this.timestampsJson(table)},"columns":{`;
    let first = true;
    for (const part of this.columnParts(table)) {
      yield first ? part : `,${part}`;
      first = false;
    }
    yield "}}";
  }

  /** Each column's `"ref":{"values":[…],"statuses":[…]}`, in order. */
  private *columnParts(table: FeatureTable): Iterable<string> {
    const { refs, views, slots } = this.planOf(table);
    const n = table.ids.length;
    // Per view version, each id's value texts (undefined where it has no row).
    const keep = keepsTexts(table);
    const texts = table.rows.map((rows) =>
      rows.map((row) => (row ? (keep ? this.textOf(row) : { values: [] }) : undefined)),
    );
    for (const [c, column] of table.resolution.columns.entries()) {
      const v = views[c] as number;
      const slot = slots[c] as number;
      const rows = table.rows[v] ?? [];
      const cells = texts[v] ?? [];
      // Joined once: appending 100 texts one by one cost twice as much (profiled).
      const values = new Array<string>(n);
      // Made only for a column with a value not present: most columns are all present.
      let statuses: string[] | undefined;
      for (let i = 0; i < n; i++) {
        const cell = cells[i];
        const value =
          cell === undefined ? "null" : valueTextOf(rows[i] as OnlineRow, cell, column.feature, slot);
        values[i] = value;
        if (cell !== undefined && value !== "null") continue;
        statuses ??= new Array<string>(n).fill('"present"');
        statuses[i] = cell === undefined ? '"not_found"' : '"null"';
      }
      // All present: no statuses, as an Arrow column without nulls has no validity buffer.
      const statusList = statuses ? `,"statuses":[${statuses.join(",")}]` : "";
      yield `${refs[c]}:{"values":[${values.join(",")}]${statusList}}`;
    }
  }

  private split(features: string): string[] {
    const known = this.splits.get(features);
    if (known) return [...known];
    const refs = splitRefList(features);
    if (this.splits.size >= SPLIT_MEMO_LIMIT) this.splits.clear();
    this.splits.set(features, refs);
    return [...refs];
  }

  /** What formatting a resolution's values needs, made once per resolution. */
  private planOf(table: FeatureTable): JsonPlan {
    let plan = this.jsonPlans.get(table.resolution);
    if (!plan) {
      const { columns } = table.resolution;
      const refs = columns.map((c) => JSON.stringify(c.ref));
      plan = {
        refs,
        keys: refs.map((ref) => `${ref}:{"value":`),
        views: columnViews(table),
        slots: columns.map((c) => this.slotOf(c.viewKey, c.feature)),
      };
      this.jsonPlans.set(table.resolution, plan);
    }
    return plan;
  }

  private slotOf(viewKey: string, feature: string): number {
    let slots = this.slotsByView.get(viewKey);
    if (!slots) {
      slots = new Map();
      this.slotsByView.set(viewKey, slots);
    }
    let slot = slots.get(feature);
    if (slot === undefined) {
      slot = slots.size;
      slots.set(feature, slot);
    }
    return slot;
  }

  private textOf(row: OnlineRow): RowText {
    let text = this.rowTexts.get(row);
    if (!text) {
      text = { values: [] };
      this.rowTexts.set(row, text);
    }
    return text;
  }
}

function valueTextOf(row: OnlineRow, text: RowText, feature: string, slot: number): string {
  let value = text.values[slot];
  if (value === undefined) {
    const raw = row.values[feature] ?? null;
    value = typeof raw === "number" && Number.isFinite(raw) ? String(raw) : JSON.stringify(raw);
    text.values[slot] = value;
  }
  return value;
}

function stampTextOf(row: OnlineRow, text: RowText): string {
  text.stamp ??= stampJson(row);
  return text.stamp;
}

const stampJson = (row: OnlineRow) => JSON.stringify(row.eventTimestamp || null);

/** The texts of view `v`'s row in `texts`, made on first use. */
function ownText(texts: (RowText | undefined)[], v: number): RowText {
  let text = texts[v];
  if (!text) {
    text = { values: [] };
    texts[v] = text;
  }
  return text;
}
