import { type FeatureTable, parseIds, parsePathId, type Resolution, type Selection } from "../serving";
import type { Services } from "./context";
import type { Payer } from "./payer";

/** What a lookup read: the values, and the view versions' deprecation notices (headers). */
export type FeatureLookup = { resolution: Resolution; table: FeatureTable };

/**
 * One entity's features, for GET /v1/features/{entity}/{id} through either of its doors.
 * Checks first (an unknown entity, feature or id throws before anything is read or spent),
 * then reads while the request and its one row are spent.
 */
export async function lookupFeatures(
  services: Services,
  request: { entity: string; id: string; selection: Selection },
  payer: Payer,
): Promise<FeatureLookup> {
  const { features } = services.serving;
  const resolution = await features.resolve(request.entity, request.selection);
  const id = parsePathId(resolution.entity, request.id);
  // Its one row is the route's cost known up front (access/route-access.ts), due with the request.
  const table = await payer.spendWhile({}, features.read(resolution, [id]));
  return { resolution, table };
}

/** Up to 1,000 entities' features, in order; spends a row per id. */
export async function lookupFeatureBatch(
  services: Services,
  request: { entity: string; ids: readonly (number | string)[]; selection: Selection },
  payer: Payer,
): Promise<FeatureLookup> {
  const { features } = services.serving;
  const resolution = await features.resolve(request.entity, request.selection);
  const ids = parseIds(resolution.entity, request.ids);
  // The read and the rows spend leave in one Redis write; a refused batch gets its 429
  // whatever the read found, and nothing read is returned.
  const table = await payer.spendWhile({ rows: ids.length }, features.read(resolution, ids));
  return { resolution, table };
}
