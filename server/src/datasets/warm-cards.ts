import type { Sql } from "../db/database";
import type { DatasetCard } from "./cards/card";
import type { DatasetServices } from "./dataset-services";
import { describeDataset } from "./describe";
import type { PlanSource } from "./plan/dataset-plan";

/**
 * The current cards of the public datasets, computed (in slices, in a download slot) and stored
 * where every process finds them: after a server's data is ready, and after `rapfs materialize`
 * wrote new rows, so the first reader of a card every new user reads does not wait for it.
 */
export async function warmPublicCards(deps: {
  sql: Sql;
  bulkSql: Sql;
  catalog: PlanSource["catalog"];
  datasets: DatasetServices;
}): Promise<{ name: string; card: DatasetCard }[]> {
  const rows = await deps.sql<{ name: string }[]>`select name from rapfs_datasets where public order by name`;
  const cards: { name: string; card: DatasetCard }[] = [];
  for (const { name } of rows)
    cards.push({ name, card: await describeDataset(deps, { dataset: name }, undefined) });
  return cards;
}
