import type { Sql } from "../db/database";
import type { CompiledCatalog } from "../definitions/compile/index";
import { canonical, type NamedChange, namedChanges } from "./plan-named";
import { embeddingMetadata, viewMetadata } from "./write";

export type PlanAction =
  | { action: "create"; kind: "feature_view" | "embedding"; name: string; version: number; table: string }
  | { action: "update"; kind: "feature_view" | "embedding"; name: string; version: number; changes: string[] }
  | { action: "refuse"; kind: "feature_view" | "embedding"; name: string; version: number; message: string }
  | { action: "missing"; kind: "feature_view" | "embedding"; name: string; version: number }
  | NamedChange;

export type Plan = { actions: PlanAction[]; unchanged: number; refused: PlanAction[] };

type Registered = { name: string; version: number; content_hash: string } & Record<string, unknown>;

/**
 * What apply would do: new versions get tables, changed metadata is updated, and a published
 * version whose compiled meaning changed is refused (versions are immutable; bump it instead).
 */
export async function computePlan(sql: Sql, catalog: CompiledCatalog): Promise<Plan> {
  const views = await sql<Registered[]>`
    select name, version, content_hash, description, owner, tags, source_file, status,
      to_char(sunset_date, 'YYYY-MM-DD') as sunset_date, features, freshness_seconds
    from rapfs_feature_views`;
  const embeddings = await sql<Registered[]>`
    select name, version, content_hash, description, tags, source_file, status,
      to_char(sunset_date, 'YYYY-MM-DD') as sunset_date, freshness_seconds
    from rapfs_embeddings`;
  const actions: PlanAction[] = [];
  let unchanged = 0;
  const diff = (
    kind: "feature_view" | "embedding",
    at: { file: string; where: string },
    name: string,
    version: number,
    hash: string,
    table: string,
    metadata: Record<string, unknown>,
    registered: Registered[],
  ) => {
    const row = registered.find((r) => r.name === name && r.version === version);
    if (!row) {
      actions.push({ action: "create", kind, name, version, table });
      return;
    }
    if (row.content_hash !== hash) {
      const next = Math.max(...registered.filter((r) => r.name === name).map((r) => r.version)) + 1;
      actions.push({
        action: "refuse",
        kind,
        name,
        version,
        message:
          `${at.file} → ${at.where}: version ${version} is published and its compiled meaning changed ` +
          `(content hash ${row.content_hash.slice(0, 12)} → ${hash.slice(0, 12)}). Versions are immutable: ` +
          `revert the change, or bump the version (add ${name}@${next} with the change).`,
      });
      return;
    }
    const changes = Object.keys(metadata).filter(
      (key) => canonical(metadata[key] ?? null) !== canonical(row[key] ?? null),
    );
    const labels = changes
      .filter((key) => key !== "sunset_date" || !changes.includes("status"))
      .map((key) =>
        key === "status" || key === "sunset_date"
          ? `${row.status} → ${metadata.status}${metadata.sunset_date ? ` (sunset ${metadata.sunset_date})` : ""}`
          : key,
      );
    if (changes.length > 0) actions.push({ action: "update", kind, name, version, changes: labels });
    else unchanged++;
  };
  for (const view of catalog.views) {
    const { compiled } = view;
    const { file, where } = view.located;
    const metadata = viewMetadata(view);
    diff(
      "feature_view",
      { file, where },
      compiled.name,
      compiled.version,
      compiled.hash,
      compiled.table,
      metadata,
      views,
    );
  }
  for (const { located, compiled } of catalog.embeddings) {
    const metadata = embeddingMetadata(located.def, located.file);
    diff(
      "embedding",
      located,
      compiled.name,
      compiled.version,
      compiled.hash,
      compiled.relation,
      metadata,
      embeddings,
    );
  }
  const defined = (kind: string, name: string, version: number) =>
    kind === "feature_view"
      ? catalog.views.some((v) => v.compiled.name === name && v.compiled.version === version)
      : catalog.embeddings.some((e) => e.compiled.name === name && e.compiled.version === version);
  for (const [kind, rows] of [
    ["feature_view", views],
    ["embedding", embeddings],
  ] as const) {
    for (const row of rows) {
      if (!defined(kind, row.name, row.version)) {
        actions.push({ action: "missing", kind, name: row.name, version: row.version });
      }
    }
  }
  const named = await namedChanges(sql, catalog);
  actions.push(...named.changes);
  unchanged += named.unchanged;
  return { actions, unchanged, refused: actions.filter((a) => a.action === "refuse") };
}

/** The plan as a reviewer reads it: + create, ~ update, ! refused, ? registered but not defined. */
export function formatPlan(plan: Plan): string {
  const lines = plan.actions.map(describeAction);
  const counts = {
    create: plan.actions.filter(
      (a) => a.action === "create" || (a.action === "upsert" && a.change === "create"),
    ).length,
    update: plan.actions.filter(
      (a) => a.action === "update" || (a.action === "upsert" && a.change === "update"),
    ).length,
  };
  lines.push(
    `Plan: ${counts.create} to create, ${counts.update} to update, ${plan.unchanged} unchanged, ` +
      `${plan.refused.length} refused.`,
  );
  return lines.join("\n");
}

function describeAction(a: PlanAction): string {
  switch (a.action) {
    case "create":
      return `+ ${a.kind} ${a.name}@${a.version} (table ${a.table})`;
    case "update":
      return `~ ${a.kind} ${a.name}@${a.version}: ${a.changes.join(", ")}`;
    case "refuse":
      return `! ${a.message}`;
    case "missing":
      return `? ${a.kind} ${a.name}@${a.version} is registered but no longer defined (kept as is; set status: retired to stop serving it)`;
    case "upsert":
      return a.change === "create"
        ? `+ ${a.kind} ${a.name}`
        : `~ ${a.kind} ${a.name}: ${a.changes.join(", ")}`;
  }
}
