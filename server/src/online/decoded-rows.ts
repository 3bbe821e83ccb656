import { unpackRow } from "./redis-keys";
import type { OnlineRow } from "./types";

/** A row decoded from its stored text, frozen: decoded rows are shared, so nothing may change them. */
export function decodeRow(id: string, text: string): OnlineRow {
  const row = unpackRow(id, text);
  Object.freeze(row.values);
  return Object.freeze(row);
}

/**
 * Recently decoded rows by Redis key. Every read still fetches the stored text; when it is the
 * same text as last time, the row decoded then is reused instead of parsing it again (hot
 * entities are read over and over between materializations). Rows handed out are shared, so
 * nothing may change them.
 */
export class DecodedRows {
  private readonly rows = new Map<string, { text: string; row: OnlineRow }>();

  constructor(private readonly limit = 20_000) {}

  decode(key: string, id: string, text: string): OnlineRow {
    const cached = this.rows.get(key);
    if (cached !== undefined && cached.text === text) return cached.row;
    const row = decodeRow(id, text);
    if (cached === undefined && this.rows.size >= this.limit) {
      // Oldest first: Map keeps insertion order.
      const oldest = this.rows.keys().next();
      if (!oldest.done) this.rows.delete(oldest.value);
    }
    this.rows.set(key, { text, row });
    return row;
  }

  clear(): void {
    this.rows.clear();
  }
}
