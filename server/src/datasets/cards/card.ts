import type { Sql } from "../../db/database";
import { plural } from "../../errors";
import { formatTimestamp } from "../../values/timestamps";
import { FORMATS } from "../encode/formats";
import type { OutputColumn } from "../plan/columns";
import type { DatasetPlan } from "../plan/dataset-plan";
import { type SnapshotInfo, type SnapshotOptions, withSnapshot } from "../snapshot/snapshot";
import { type ColumnQuality, type Duplicates, measureQuality } from "./quality";

export type CardColumn = {
  name: string;
  type: string;
  description: string;
  source: string;
} & ColumnQuality;

export type DatasetCard = {
  name: string;
  kind: DatasetPlan["kind"];
  entity: string;
  description: string;
  license: string | null;
  /** Downloadable whole on every tier: this download spends downloads and bytes, not entity rows. */
  public: boolean;
  owner: string | null;
  /** Which entities are rows: the joins decide before the filters do. */
  row_set: string;
  /** Changes whenever a source is re-materialized (or, point in time, the raw data grows). */
  version: string;
  built_at: string | null;
  generated_at: string;
  as_of: string | null;
  limit: number | null;
  rows: number;
  columns: CardColumn[];
  filters: { feature: string; op: string; value?: unknown }[];
  sources: Record<string, unknown>[];
  quality: { duplicates: Duplicates | null };
  formats: readonly string[];
};

export function columnType(c: OutputColumn): string {
  return c.kind === "vector" ? `vector(${c.dimension})` : c.kind;
}

export function buildCard(
  plan: DatasetPlan,
  info: SnapshotInfo,
  columns: OutputColumn[],
  quality: { columns: Record<string, ColumnQuality>; duplicates: Duplicates | null },
  now = new Date(),
): DatasetCard {
  return {
    name: plan.name,
    kind: plan.kind,
    entity: plan.entity.name,
    description: plan.description,
    license: plan.license,
    public: plan.public,
    owner: plan.owner,
    row_set: rowSet(plan),
    version: info.version,
    built_at: info.builtAt,
    generated_at: now.toISOString(),
    // ISO 8601 in UTC with its Z, as built_at and generated_at are.
    as_of: plan.asOf === undefined ? null : `${formatTimestamp(plan.asOf)}Z`,
    limit: plan.limit ?? null,
    // A card's snapshot always counts its rows first.
    rows: info.rows ?? 0,
    columns: columns.map((c) => ({
      name: c.name,
      type: columnType(c),
      description: c.description,
      source: c.source,
      ...(quality.columns[c.name] ?? { null_rate: 0 }),
    })),
    filters: plan.filters.map((f) => ({
      feature: `${f.source.kind === "view" && f.source.via ? `${f.source.via.relation}.` : ""}${f.source.name}@${f.source.version}:${f.field}`,
      op: f.op,
      ...(f.value === undefined ? {} : { value: f.value }),
    })),
    sources: info.sources,
    quality: { duplicates: quality.duplicates },
    formats: FORMATS,
  };
}

/**
 * Every view of the entity's own a download reads is inner-joined on the entity key, so an entity
 * missing from any of them is no row, whatever the filters say; a related entity's view is
 * left-joined; filters then compare as SQL does (NULL fails).
 */
export function rowSet(plan: DatasetPlan): string {
  const named = (s: { name: string; version: number }) => `${s.name}@${s.version}`;
  const views = plan.sources.flatMap((s) => (s.kind === "view" && s.join === "inner" ? [named(s)] : []));
  const related = plan.sources.flatMap((s) =>
    s.kind === "view" && s.join === "left" ? [`${named(s)} through ${s.via?.relation ?? "a relation"}`] : [],
  );
  const key = plan.entity.keyColumn;
  const own =
    views.length > 1
      ? `Each ${plan.entity.name} with a row in every view read (${views.join(", ")}; inner joins on ${key})`
      : `Each ${plan.entity.name} with a row in ${views[0] ?? "its view"}`;
  // A related entity's view is left-joined: it adds columns (null where it has no row), never removes rows.
  const joined =
    related.length > 0 ? `${own}, with ${related.join(", ")} left-joined (null where missing)` : own;
  const filtered =
    plan.filters.length > 0
      ? ", then only those passing every row filter (a NULL value passes none but is_null)"
      : "";
  const limited = plan.limit === undefined ? "" : `, the first ${plan.limit} by ${key}`;
  return `${joined}${filtered}${limited}. The joins decide which ${plan.entity.name}s can be rows before any filter does.`;
}

const cell = (v: unknown) =>
  v === null || v === undefined
    ? ""
    : typeof v === "number"
      ? Number.isInteger(v)
        ? String(v)
        : v.toPrecision(4)
      : String(v).replaceAll("|", "\\|");

/** The card as the README.md written beside an export. */
export function cardMarkdown(card: DatasetCard): string {
  const lines = [
    `# ${card.name}`,
    "",
    card.description.trim(),
    "",
    `- **Licence:** ${card.license ?? "none declared (a feature service, not a published dataset)"}`,
    ...(card.public
      ? ["- **Public:** downloadable whole on every tier (spends downloads and bytes, not rows)"]
      : []),
    `- **Rows:** ${card.row_set}`,
    `- **Entity:** ${card.entity}; **rows:** ${card.rows}`,
    `- **Version:** ${card.version}${card.built_at ? ` (built ${card.built_at})` : ""}`,
    ...(card.as_of ? [`- **Features as of:** ${card.as_of}`] : []),
    ...(card.limit !== null
      ? [`- **Limited to** the first ${plural(card.limit, "row")} by ${card.entity} key`]
      : []),
    ...(card.owner ? [`- **Owner:** ${card.owner}`] : []),
    `- **Generated:** ${card.generated_at}`,
    "",
    "## Columns",
    "",
    "| column | type | null rate | min | max | mean / distinct | description |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...card.columns.map(
      (c) =>
        `| ${c.name} | ${c.type} | ${cell(c.null_rate)} | ${cell(c.min ?? c.min_items)} | ${cell(c.max ?? c.max_items)} | ` +
        `${cell(c.mean ?? c.distinct ?? c.true_rate)} | ${cell(c.description)} |`,
    ),
  ];
  if (card.filters.length > 0) {
    lines.push("", "## Row filters", "");
    for (const f of card.filters)
      lines.push(`- \`${f.feature} ${f.op}${f.value === undefined ? "" : ` ${f.value}`}\``);
  }
  const d = card.quality.duplicates;
  if (d) {
    lines.push("", "## Duplicates", "");
    lines.push(
      `${d.groups} (${d.columns.join(", ")}) pairs are shared by more than one row (${d.rows} rows).`,
    );
    for (const e of d.examples) lines.push(`- ${e.values.join(" — ")}: ${e.keys.join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A plan's card: statistics of exactly the rows a download with the same options holds. */
export async function computeCard(
  sql: Sql,
  plan: DatasetPlan,
  options: Pick<SnapshotOptions, "sliced" | "gate" | "signal">,
): Promise<DatasetCard> {
  return withSnapshot(sql, plan, options, async (snapshot) =>
    buildCard(plan, snapshot.info, snapshot.columns, await measureQuality(snapshot, plan)),
  );
}
