import { unpackRow } from "./redis-keys";
import type { OnlineRow } from "./types";

/** A row decoded from its stored text, frozen: decoded rows are shared, so nothing may change them. */
export function decodeRow(id: string, text: string): OnlineRow {
  const row = unpackRow(id, text);
  Object.freeze(row.values);
  return Object.freeze(row);
}

/**
 * Recently decoded rows by key. Every read still fetches the stored text; when it is the same
 * text as last time, the row decoded then is reused instead of parsing it again (hot entities are
 * read over and over between materializations). Rows handed out are shared, so nothing may change
 * them. The oldest key goes first, found in a ring of keys: evicting by a Map's first key costs a
 * walk over every key deleted before it, which made a 1,000-id batch of every view (11,000 rows
 * missing here) take 0.2 s of the event loop.
 */
export class DecodedRows {
  private readonly rows = new Map<string, { text: string; row: OnlineRow }>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(private readonly limit = 20_000) {
    this.ring = new Array(limit);
  }

  /**
   * The row of `text`, decoded by `parse` (the Redis text by default) unless decoded from the same
   * text before. With `keep` false the row decoded is not kept: a wide batch of random ids would
   * push thousands of rows through here, evicting the hot ones and leaving every one to be copied
   * by the young generation's collections and promoted to the old heap (issue #38).
   */
  decode(key: string, id: string, text: string, parse = decodeRow, keep = true): OnlineRow {
    const cached = this.rows.get(key);
    if (cached !== undefined && cached.text === text) return cached.row;
    const row = parse(id, text);
    if (!keep) return row;
    if (cached === undefined) {
      const oldest = this.ring[this.next];
      if (oldest !== undefined) this.rows.delete(oldest);
      this.ring[this.next] = key;
      this.next = (this.next + 1) % this.limit;
    }
    this.rows.set(key, { text, row });
    return row;
  }

  clear(): void {
    this.rows.clear();
    this.ring.fill(undefined);
    this.next = 0;
  }
}
