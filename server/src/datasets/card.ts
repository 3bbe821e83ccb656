import type { OutputColumn } from "./columns";
import { FORMATS } from "./encode";
import type { DatasetPlan } from "./plan";
import type { ColumnQuality, Duplicates } from "./quality";
import type { SnapshotInfo } from "./snapshot";
import { formatTimestamp } from "./timestamps";

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
  owner: string | null;
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
    owner: plan.owner,
    version: info.version,
    built_at: info.builtAt,
    generated_at: now.toISOString(),
    as_of: plan.asOf === undefined ? null : formatTimestamp(plan.asOf),
    limit: plan.limit ?? null,
    rows: info.rows,
    columns: columns.map((c) => ({
      name: c.name,
      type: columnType(c),
      description: c.description,
      source: c.source,
      ...(quality.columns[c.name] ?? { null_rate: 0 }),
    })),
    filters: plan.filters.map((f) => ({
      feature: `${f.source.name}@${f.source.version}:${f.field}`,
      op: f.op,
      ...(f.value === undefined ? {} : { value: f.value }),
    })),
    sources: info.sources,
    quality: { duplicates: quality.duplicates },
    formats: FORMATS,
  };
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
    `- **Entity:** ${card.entity}; **rows:** ${card.rows}`,
    `- **Version:** ${card.version}${card.built_at ? ` (built ${card.built_at})` : ""}`,
    ...(card.as_of ? [`- **Features as of:** ${card.as_of} (UTC)`] : []),
    ...(card.limit !== null ? [`- **Limited to** the first ${card.limit} rows by ${card.entity} key`] : []),
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
