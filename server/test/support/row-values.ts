import type { DatasetPlan, Source } from "../../src/datasets/plan/dataset-plan";
import type { WorkTables } from "../../src/datasets/point-in-time/pit";
import { entityKeyOf, fieldsOf } from "../../src/datasets/point-in-time/pit-sources";
import { ident } from "../../src/definitions/compile/params";

/**
 * A training set's values of one of the entity's own sources, a row per uploaded row in upload
 * order (ord, key, as_of, event_timestamp, fields), as the final read joins them, whether the
 * source kept a row per upload or its states.
 */
export function rowValuesSql(plan: DatasetPlan, tables: WorkTables, source: Source): string {
  if (!tables.rows) throw new Error("not a training set's work tables");
  const key = ident(entityKeyOf(plan).name);
  const fields = fieldsOf(plan, source).map((f) => `_v.${ident(f.field)}`);
  return [
    `select _r.ord, _r.${key}, _r.as_of, _v.event_timestamp${fields.map((f) => `, ${f}`).join("")}`,
    `from ${ident(tables.rows)} _r ${tables.joinRows(source, "_v", "_r")}`,
    "order by _r.ord",
  ].join("\n");
}
