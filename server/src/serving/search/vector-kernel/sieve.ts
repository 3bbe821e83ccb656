import { KthSmallest } from "./kth-smallest";

/**
 * Keeps every row whose lower bound does not exceed the k-th smallest upper bound, in one pass:
 * that threshold only falls, so a row that beats the final one beat it when it was offered. A
 * NaN bound (nothing known of the row) keeps the row and leaves the threshold alone.
 */
export class Sieve {
  private readonly kth: KthSmallest;
  private bound = Number.POSITIVE_INFINITY;
  private readonly rows: number[] = [];
  private readonly lowers: number[] = [];

  constructor(count: number) {
    this.kth = new KthSmallest(count);
  }

  /** The k-th smallest upper bound offered so far: a row whose lower bound exceeds it is out. */
  get threshold(): number {
    return this.bound;
  }

  offer(row: number, lower: number, upper: number): void {
    if (upper < this.bound) {
      this.kth.push(upper);
      this.bound = this.kth.value;
    }
    if (!(lower > this.bound)) {
      this.rows.push(row);
      this.lowers.push(lower);
    }
  }

  /** The rows kept against the final threshold. */
  kept(): number[] {
    return this.rows.filter((_, r) => !((this.lowers[r] as number) > this.bound));
  }
}
