import { ident } from "../definitions/compile/params";
import type { MaterializeTarget } from "./target";

/**
 * The ANALYZE a run ends with. Neither PGlite nor a server with autovacuum off gathers
 * statistics by itself, and searches and dataset filters read a view's feature columns: on
 * default estimates a selective filter gets a plan that is ten times slower. ANALYZE samples at
 * most 300 × default_statistics_target rows, so its cost is bounded whatever the table's size
 * (≈0.2 s for a scale-1 track_profile on a server). An embedding's vector column is never
 * filtered on, and sampling it is the expensive part: there only the key is analysed.
 */
export function analyzeStatement(target: MaterializeTarget, relation: string): string {
  return target.kind === "feature_view"
    ? `analyze ${ident(relation)}`
    : `analyze ${ident(relation)} (${ident(target.key)})`;
}

/** Autovacuum's own rule (50 rows + 10% of the table): an incremental run that changed more re-analyses. */
export function incrementalNeedsAnalyze(changedRows: number, tableRows: number): boolean {
  return changedRows > 0 && changedRows >= 50 + 0.1 * tableRows;
}
