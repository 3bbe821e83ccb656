import type { Sql } from "../../db/database";
import { getEmbedding } from "../../registry";
import { type DatasetIssue, datasetError, summarize } from "../errors";
import type { DatasetPlan } from "./dataset-plan";

/**
 * Where an embedding's vectors are read: a column of tracks (fixed when the track is created),
 * or a materialized emb_* table (the latest analysis's vector, with its own point-in-time
 * query). Left-joined: a row without a vector keeps its features and gets a null vector.
 */
export type EmbeddingSource = {
  kind: "embedding";
  name: string;
  version: number;
  table: string;
  key: string;
  vectorColumn: string;
  dimension: number;
  materialized: boolean;
  join: "left";
};

const REF = /^([a-z][a-z0-9_]*)(?:@([1-9][0-9]*))?$/;

/** Adds `<name>_embedding` columns (FixedSizeList<float32> in Arrow and Parquet). */
export async function addEmbeddings(sql: Sql, plan: DatasetPlan, refs: string[]): Promise<void> {
  const issues: DatasetIssue[] = [];
  for (const [index, ref] of refs.entries()) {
    const match = REF.exec(ref.trim());
    const info = match?.[1]
      ? await getEmbedding(sql, match[1], match[2] ? Number(match[2]) : undefined)
      : undefined;
    const path = ["embeddings", index];
    if (!info) {
      issues.push({ path, detail: `${ref} is not an applied embedding (name or name@version)` });
      continue;
    }
    if (info.status === "retired") {
      issues.push({ path, detail: `${info.name}@${info.version} is retired` });
      continue;
    }
    if (info.entity !== plan.entity.name) {
      issues.push({ path, detail: `${ref} belongs to entity ${info.entity}, not ${plan.entity.name}` });
      continue;
    }
    const name = `${info.name}_embedding`;
    if (plan.features.some((f) => f.column.name === name)) continue;
    const source: EmbeddingSource = {
      kind: "embedding",
      name: info.name,
      version: info.version,
      table: info.relation,
      key: info.keyColumn,
      vectorColumn: info.vectorColumn,
      dimension: info.dimension,
      materialized: info.relation !== "tracks",
      join: "left",
    };
    plan.sources.push(source);
    plan.features.push({
      column: {
        name,
        kind: "vector",
        dimension: info.dimension,
        description: info.description,
        source: `${info.name}@${info.version}`,
      },
      source,
      field: info.vectorColumn,
      pgType: `vector(${info.dimension})`,
    });
  }
  if (issues.length > 0) {
    throw datasetError("UNKNOWN_FEATURE", summarize(issues.map((i) => i.detail)), issues);
  }
}
