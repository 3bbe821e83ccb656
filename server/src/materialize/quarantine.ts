import { type Sql, sqlParams } from "../db/database";
import { fitSql, misfit } from "../definitions/compile/json-fits";
import type { JsonRead } from "../definitions/compile/json-reads";
import { bindParams, ParamAllocator } from "../definitions/compile/params";
import { ANALYSES } from "../definitions/compile/select";
import type { MaterializeTarget } from "./target";

/** An analysis a view version cannot read, as its run found it (it picks the track's previous one). */
export type QuarantinedAnalysis = {
  analysisId: number;
  trackId: number | null;
  analyzer: string;
  feature: string;
  field: string;
  problem: string;
  /** The value as JSON, cut to 200 characters. */
  value: string | null;
};

export type Quarantine = {
  /** Analyses this run quarantined that were not quarantined before. */
  found: QuarantinedAnalysis[];
  /** Every analysis the version holds in quarantine after the run. */
  total: number;
};

const NONE: Quarantine = { found: [], total: 0 };

/**
 * Notes the analyses in a run's scope that do not fit how the view reads them (json-fits.ts):
 * all of them for a full run, which replaces the version's list, or those newer than the
 * previous watermark for an incremental one. Runs in the run's transaction.
 */
export async function noteUnfitAnalyses(
  tx: Sql,
  target: MaterializeTarget,
  runId: number,
  since: string | null,
): Promise<Quarantine> {
  const { reads } = target;
  if (reads.length === 0) return NONE;
  const p = new ParamAllocator();
  const analyzers = [...new Set(reads.flatMap((read) => read.analyzers))];
  // A read of every analyzer the scan takes needs no test of its own (the usual view reads one).
  const ofRead = (read: MaterializeTarget["reads"][number]) =>
    read.analyzers.length === analyzers.length && analyzers.every((a) => read.analyzers.includes(a))
      ? ""
      : `_r.analyzer_type = any(${p.value(read.analyzers, "text[]")}) and `;
  const failed = reads
    .map((read, i) => `when ${ofRead(read)}not coalesce((${fitSql(read, "_r", p)}), false) then ${i}`)
    .join(" ");
  const keys = p.value(
    reads.map((read) => read.key),
    "text[]",
  );
  const scope = since === null ? "" : ` and _r.created_at > ${p.value(since, "text")}::timestamp`;
  const name = p.value(target.name, "text");
  const version = p.value(target.version, "int");
  // With the count the version holds already: an incremental run that finds nothing unfit (the
  // usual case) is one statement, prepared once per connection.
  const text = `
    select held.n as held, q.* from (
      select count(*)::int as n from rapfs_quarantined_analyses
      where view_name = ${name} and view_version = ${version}
    ) held left join (
      select id, track_id, analyzer_type, failed, left((analysis_data -> (${keys})[failed + 1])::text, 200) as value
      from (
        select _r.id, _r.track_id, _r.analyzer_type, _r.analysis_data, case ${failed} end as failed
        from ${ANALYSES} _r
        where _r.analyzer_type = any(${p.value(analyzers, "text[]")}) and _r.created_at is not null${scope}
      ) f
      where failed is not null
    ) q on true`;
  const rows = await tx.unsafe<
    {
      held: number;
      id: number | null;
      track_id: number | null;
      analyzer_type: string;
      failed: number;
      value: string | null;
    }[]
  >(text, bindParams(p.query(text)), { prepare: since !== null });
  const held = rows[0]?.held ?? 0;
  const unfit = rows.flatMap((row) => {
    if (row.id === null) return [];
    const read = reads[row.failed] as MaterializeTarget["reads"][number];
    return [
      {
        analysisId: row.id,
        trackId: row.track_id,
        analyzer: row.analyzer_type,
        feature: read.feature,
        field: `analysis_data.${read.key}`,
        problem: `${misfitOf(read, row.value) ?? "does not fit"}: ${target.name}@${target.version} reads ${read.reads}`,
        value: row.value,
      },
    ];
  });
  if (since !== null && unfit.length === 0) return { found: [], total: held };
  if (since === null) {
    // A full run saw every analysis: those it no longer finds unfit were corrected or deleted.
    await tx`
      delete from rapfs_quarantined_analyses
      where view_name = ${target.name} and view_version = ${target.version}
        and analysis_id <> all(${unfit.map((u) => u.analysisId)}::int[])`;
  }
  const columns = [
    unfit.map((u) => u.analysisId),
    unfit.map((u) => u.trackId),
    unfit.map((u) => u.analyzer),
    unfit.map((u) => u.feature),
    unfit.map((u) => u.field),
    unfit.map((u) => u.problem),
    unfit.map((u) => u.value),
  ];
  const inserted = await tx.unsafe<{ analysis_id: number }[]>(
    `insert into rapfs_quarantined_analyses
       (view_name, view_version, analysis_id, track_id, analyzer_type, feature, field, problem, value, run_id)
     select $1::text, $2::int, u.* , $10::bigint
     from unnest($3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) u
     on conflict do nothing
     returning analysis_id`,
    sqlParams([target.name, target.version, ...columns, runId]),
  );
  const fresh = new Set(inserted.map((row) => row.analysis_id));
  const found = unfit.filter((u) => fresh.has(u.analysisId));
  // An incremental run adds to what the version held; a full run's delete changed it.
  if (since !== null) return { found, total: held + fresh.size };
  const [count] = await tx<{ n: number }[]>`
    select count(*)::int as n from rapfs_quarantined_analyses
    where view_name = ${target.name} and view_version = ${target.version}`;
  return { found, total: count?.n ?? 0 };
}

function misfitOf(read: JsonRead, value: string | null): string | undefined {
  try {
    return misfit(read, value === null ? undefined : JSON.parse(value));
  } catch {
    return undefined; // cut at 200 characters
  }
}

export type QuarantineEntry = QuarantinedAnalysis & { view: string; foundAt: Date };

/** The analyses view versions hold in quarantine, newest first (all versions, or one view's). */
export async function listQuarantined(
  sql: Sql,
  filter: { name?: string; version?: number } = {},
  limit = 1_000,
): Promise<QuarantineEntry[]> {
  const rows = await sql<
    {
      view: string;
      analysis_id: number;
      track_id: number | null;
      analyzer_type: string;
      feature: string;
      field: string;
      problem: string;
      value: string | null;
      found_at: Date;
    }[]
  >`
    select view_name || '@' || view_version as view, analysis_id, track_id, analyzer_type, feature, field,
      problem, value, found_at
    from rapfs_quarantined_analyses
    where (${filter.name ?? null}::text is null or view_name = ${filter.name ?? null})
      and (${filter.version ?? null}::int is null or view_version = ${filter.version ?? null})
    order by found_at desc, view_name, view_version, analysis_id
    limit ${limit}`;
  return rows.map((row) => ({
    view: row.view,
    analysisId: row.analysis_id,
    trackId: row.track_id,
    analyzer: row.analyzer_type,
    feature: row.feature,
    field: row.field,
    problem: row.problem,
    value: row.value,
    foundAt: row.found_at,
  }));
}
