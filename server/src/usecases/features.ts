import { type FeatureTable, parseIds, parsePathId, type Resolution, type Selection } from "../serving";
import type { Services } from "./context";
import type { Payer } from "./payer";

/** What a lookup read: the values, and the view versions' deprecation notices (headers). */
export type FeatureLookup = { resolution: Resolution; table: FeatureTable };

/**
 * A single lookup, and how to tell it is still the answer: while `reread()` is true, the same
 * request would resolve and read exactly this (checked in memory, and counted as the read it
 * stands for). Without `reread`, it cannot be told (a row absent, a store that hears of no change).
 */
export type SingleLookup = FeatureLookup & { reread?: () => boolean };

/**
 * One entity's features, for GET /v1/features/{entity}/{id} through either of its doors.
 * Checks first (an unknown entity, feature or id throws before anything is read or spent),
 * then reads while the request and its one row are spent.
 */
export async function lookupFeatures(
  services: Services,
  request: { entity: string; id: string; selection: Selection },
  payer: Payer,
): Promise<SingleLookup> {
  const { features } = services.serving;
  const resolution = await features.resolve(request.entity, request.selection);
  const id = parsePathId(resolution.entity, request.id);
  // Its one row is the route's cost known up front (access/route-access.ts), due with the request.
  const table = await payer.spendWhile({}, features.read(resolution, [id]));
  const watch = features.watch(table);
  if (!watch) return { resolution, table };
  // A test may give the services another serving layer: what this one read is not its answer.
  return { resolution, table, reread: () => services.serving.features === features && watch.reread() };
}

/**
 * Spends what a single lookup spends (its request and row, due at the door) for an answer the
 * door kept from an earlier one, then says whether it may be sent again: nothing the lookup
 * resolved or read has changed. Checked after the spend, so a change reported while spending is
 * not missed; on false the door looks up, which spends nothing twice.
 */
export async function reuseLookup(
  _services: Services,
  reread: NonNullable<SingleLookup["reread"]>,
  payer: Payer,
): Promise<boolean> {
  await payer.spend({});
  return reread();
}

/** The widest batch read while its rows are spent: the SDK's chunk of 100 ids. */
export const READ_WHILE_SPENDING_MAX_IDS = 100;

/** Up to 1,000 entities' features, in order; spends a row per id. */
export async function lookupFeatureBatch(
  services: Services,
  request: { entity: string; ids: readonly (number | string)[]; selection: Selection },
  payer: Payer,
): Promise<FeatureLookup> {
  const { features } = services.serving;
  const resolution = await features.resolve(request.entity, request.selection);
  const ids = parseIds(resolution.entity, request.ids);
  const cost = { rows: ids.length };
  // A narrow batch's read and its rows spend leave in one Redis write: a refused one gets its 429
  // whatever the read found, and nothing read is returned. A wide one is paid for first, so a
  // key whose day is spent cannot have thousands of rows read for nothing (issue #38).
  if (ids.length > READ_WHILE_SPENDING_MAX_IDS) {
    return { resolution, table: await payer.spendFor(cost, () => features.read(resolution, ids)) };
  }
  const table = await payer.spendWhile(cost, features.read(resolution, ids));
  return { resolution, table };
}
