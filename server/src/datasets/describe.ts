import type { Sql } from "../db/database";
import { computeCard, type DatasetCard } from "./cards/card";
import type { DatasetServices } from "./dataset-services";
import type { DownloadPayer } from "./delivery/charge";
import { fileKey } from "./delivery/download";
import { type PlanRequest, type PlanSource, planDownload } from "./plan/dataset-plan";
import { settleAsOf, snapshotVersion } from "./snapshot/snapshot";

/** Who pays for a card computed at an instant of their choosing. */
export type CardPayer = Pick<DownloadPayer, "principal" | "spend" | "refund">;

/**
 * The card of a dataset (or feature service) as `request` would download it: stored by what it
 * describes and its data version, so it is computed once, wherever asked. The current card is the
 * one everybody reads and costs nothing here; a card at an `as_of` computes the dataset as it was
 * then, a download's work, charged as one (once a day per account and card) before it starts.
 * Stopped when every caller waiting for it has gone (card-store.ts): nobody pays for or waits on
 * an abandoned card, and its slot returns.
 */
export async function describeDataset(
  deps: { sql: Sql; bulkSql: Sql; catalog: PlanSource["catalog"]; datasets: DatasetServices },
  request: PlanRequest,
  payer: CardPayer | undefined,
  signal?: AbortSignal,
): Promise<DatasetCard> {
  const { sql, bulkSql, datasets } = deps;
  const settled = await settleAsOf(sql, request);
  const plan = await planDownload({ sql, catalog: deps.catalog }, settled);
  const key = fileKey({ kind: "card", ...settled }, await snapshotVersion(sql, plan));
  const cached = await datasets.cards.get(sql, key);
  if (cached) return cached;
  // A slot free now is taken before anything is charged (a 503 for want of one charges nothing),
  // unless the card is being computed here already: then this caller only waits for it. Without a
  // free slot the charge comes first, so a request its quota refuses has its 429 at once rather
  // than after a wait in line, and a wait that ends in a 503 gives the charge back.
  const owner = payer?.principal.accountId;
  let slot = datasets.cards.computingHere(key) ? undefined : datasets.spool.reserveIfFree(owner);
  let used = false;
  try {
    const giveBack = plan.asOf !== undefined && payer ? await chargeCard(datasets, payer, key) : undefined;
    if (!slot && !datasets.cards.computingHere(key)) {
      slot = await datasets.spool.reserveInTurn(owner, { signal }).catch(async (error: unknown) => {
        await giveBack?.().catch(() => {});
        throw error;
      });
    }
    // Another caller here began the same card while this one waited: it only waits for that one.
    if (slot && datasets.cards.computingHere(key)) {
      slot.release();
      slot = undefined;
    }
    // The work follows its clients: once all are gone, its statements stop and the slot returns.
    const options = { sliced: datasets.sliced, gate: datasets.gate };
    return await datasets.cards.compute(
      sql,
      key,
      (stop) => {
        used = true;
        return datasets.spool.admit(() => computeCard(bulkSql, plan, { ...options, signal: stop }), slot);
      },
      signal,
    );
  } finally {
    if (!used) slot?.release();
  }
}

/** Charges a card at an instant as a download, once a day; resolves to what gives it back (none for a repeat). */
async function chargeCard(
  datasets: DatasetServices,
  payer: CardPayer,
  key: string,
): Promise<(() => Promise<unknown>) | undefined> {
  const charge = `card:${payer.principal.accountId}:${key}`;
  const cost = { downloads: 1, rows: 0 };
  const { charged } = await datasets.charger.charge(charge, cost, payer);
  return charged ? () => Promise.all([datasets.charger.release(charge), payer.refund(cost)]) : undefined;
}
