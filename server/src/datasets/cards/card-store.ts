import { randomUUID } from "node:crypto";
import type { Sql } from "../../db/database";
import type { DatasetCard } from "./card";

/** A claim this old is a process that died computing the card: another takes it over. */
const STALE_CLAIM_SECONDS = 120;
const POLL_MS = 200;

/**
 * Cards by what they describe (see fileKey): kept in this process (the most recent `max`) and in
 * the database, where every server process finds them, so a card is computed once whoever asks
 * and wherever. A process claims a card before computing it (a row without a card); the others
 * wait for it, or take the claim over once it is stale.
 */
/** A card being computed here, and the callers still waiting for it: the last to leave stops it. */
type Computing = { card: Promise<DatasetCard>; waiting: number; stop: AbortController };

export class CardStore {
  private readonly cards = new Map<string, DatasetCard>();
  private readonly computing = new Map<string, Computing>();
  private readonly me = randomUUID();

  constructor(private readonly max = 32) {}

  /** A card computed already (here or by another process), or one being computed here. */
  async get(sql: Sql, key: string): Promise<DatasetCard | undefined> {
    return this.cards.get(key) ?? (await this.computing.get(key)?.card) ?? (await this.stored(sql, key));
  }

  private async stored(sql: Sql, key: string): Promise<DatasetCard | undefined> {
    const [row] = await sql<{ card: DatasetCard }[]>`
      select card from rapfs_dataset_cards where key = ${key} and card is not null`;
    if (row) this.remember(key, row.card);
    return row?.card;
  }

  /** Whether a card of `key` is being computed in this process (a new caller only waits for it). */
  computingHere(key: string): boolean {
    return this.computing.has(key);
  }

  /**
   * The card of `key`: computed by `work` here, or waited for while another process computes it.
   * Callers asking at once share one computation, which stops (its statements cancelled) when
   * every one of them has gone (`signal`): the first to leave does not cancel the others' card,
   * and an abandoned one does not hold a slot and the database for nobody.
   */
  compute(
    sql: Sql,
    key: string,
    work: (signal: AbortSignal) => Promise<DatasetCard>,
    signal?: AbortSignal,
  ): Promise<DatasetCard> {
    // A caller already gone starts nothing: a computation begun for it would run for nobody.
    if (signal?.aborted) return Promise.reject(signal.reason);
    let computing = this.computing.get(key);
    if (!computing) {
      const stop = new AbortController();
      const card = this.computeOnce(sql, key, work, stop.signal).finally(() => {
        if (this.computing.get(key) === computing) this.computing.delete(key);
      });
      computing = { card, waiting: 0, stop };
      this.computing.set(key, computing);
    }
    return this.follow(computing, signal);
  }

  private follow(computing: Computing, signal: AbortSignal | undefined): Promise<DatasetCard> {
    if (!signal) {
      computing.waiting = Number.POSITIVE_INFINITY; // a caller that never leaves (warming cards)
      return computing.card;
    }
    if (signal.aborted) throw signal.reason;
    computing.waiting++;
    return new Promise<DatasetCard>((resolve, reject) => {
      const leave = () => {
        if (--computing.waiting === 0) computing.stop.abort(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener("abort", leave, { once: true });
      computing.card.then(
        (card) => {
          signal.removeEventListener("abort", leave);
          resolve(card);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", leave);
          reject(error);
        },
      );
    });
  }

  private async computeOnce(
    sql: Sql,
    key: string,
    work: (signal: AbortSignal) => Promise<DatasetCard>,
    signal: AbortSignal,
  ): Promise<DatasetCard> {
    for (;;) {
      if (await this.claim(sql, key)) break;
      const done = await this.stored(sql, key);
      if (done) return done;
      signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    try {
      signal.throwIfAborted();
      const card = await work(signal);
      await sql`
        update rapfs_dataset_cards set card = ${sql.json(card as never)}, computed_at = now()
        where key = ${key} and claimed_by = ${this.me}`;
      this.remember(key, card);
      return card;
    } catch (error) {
      await sql`delete from rapfs_dataset_cards where key = ${key} and claimed_by = ${this.me} and card is null`.catch(
        () => {},
      );
      throw error;
    }
  }

  /** True when this process now holds the claim on `key` (new, or taken over from a stale one). */
  private async claim(sql: Sql, key: string): Promise<boolean> {
    const rows = await sql`
      insert into rapfs_dataset_cards (key, claimed_by) values (${key}, ${this.me})
      on conflict (key) do update set claimed_by = excluded.claimed_by, claimed_at = now()
        where rapfs_dataset_cards.card is null
          and rapfs_dataset_cards.claimed_at < now() - make_interval(secs => ${STALE_CLAIM_SECONDS})
      returning key`;
    return rows.length > 0;
  }

  private remember(key: string, card: DatasetCard): void {
    this.cards.delete(key);
    this.cards.set(key, card);
    const oldest = this.cards.keys().next().value;
    if (this.cards.size > this.max && oldest !== undefined) this.cards.delete(oldest);
  }
}

/** Cards of data versions nobody has asked about for `days`: every materialization makes new ones. */
export async function dropOldCards(sql: Sql, days = 7): Promise<void> {
  await sql`delete from rapfs_dataset_cards where coalesce(computed_at, claimed_at) < now() - make_interval(days => ${days})`;
}
