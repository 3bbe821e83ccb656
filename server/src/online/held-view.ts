import { type DecodedRows, decodeRow } from "./decoded-rows";
import { packRow } from "./redis-keys";
import type { OnlineRow } from "./types";

/** A row of the in-process store, and when it expires (absence markers do). */
export type Entry = { row: OnlineRow; expiresAt?: number };

const OPEN_BRACKET = 91;

/**
 * A view version held whole in the process. Each row is kept as one JSON text, its values in the
 * order of the version's first row (`[eventTimestamp, v1, v2, …]`; a row of other keys as the
 * Redis text), and decoded when read: about 280 bytes a row at scale 1 against 800 for frozen
 * objects. Hot rows are decoded once (`DecodedRows`), so a row read again is the same object
 * while its text is unchanged. Expiring rows (absence markers) are kept as objects.
 */
export class HeldView {
  private readonly rows = new Map<string, string | Entry>();
  private shape: string[] | undefined;
  private readonly parse = (id: string, text: string) => this.decode(id, text);

  constructor(
    private readonly viewKey: string,
    private readonly decoded: DecodedRows,
  ) {}

  get size(): number {
    return this.rows.size;
  }

  ids(): IterableIterator<string> {
    return this.rows.keys();
  }

  /** The row of `id`; `keep` false decodes it for this read alone (DecodedRows.decode). */
  get(id: string, keep = true): Entry | undefined {
    const held = this.rows.get(id);
    if (typeof held !== "string") return held;
    return { row: this.decoded.decode(`${this.viewKey}\u0000${id}`, id, held, this.parse, keep) };
  }

  set(row: OnlineRow, expiresAt?: number): void {
    if (expiresAt !== undefined) {
      const frozen = Object.freeze({ ...row, values: Object.freeze({ ...row.values }) });
      this.rows.set(row.id, { row: frozen, expiresAt });
      return;
    }
    this.rows.set(row.id, this.encode(row));
  }

  delete(id: string): boolean {
    return this.rows.delete(id);
  }

  private encode(row: OnlineRow): string {
    const keys = Object.keys(row.values);
    this.shape ??= keys;
    const shape = this.shape;
    if (keys.length !== shape.length || keys.some((key, i) => key !== shape[i])) return packRow(row);
    const packed: unknown[] = [row.eventTimestamp];
    for (const key of shape) packed.push(row.values[key]);
    return JSON.stringify(packed);
  }

  private decode(id: string, text: string): OnlineRow {
    if (text.charCodeAt(0) !== OPEN_BRACKET) return decodeRow(id, text);
    const [eventTimestamp, ...packed] = JSON.parse(text) as [string, ...unknown[]];
    const values: Record<string, unknown> = {};
    (this.shape as string[]).forEach((key, i) => {
      values[key] = packed[i];
    });
    Object.freeze(values);
    return Object.freeze({ id, values, eventTimestamp });
  }
}
