/** The k-th smallest of the values pushed so far (+∞ until k have been), in a max-heap of k. */
export class KthSmallest {
  private readonly heap: Float64Array;
  private size = 0;

  constructor(readonly k: number) {
    this.heap = new Float64Array(k);
  }

  get value(): number {
    return this.size < this.k ? Number.POSITIVE_INFINITY : (this.heap[0] as number);
  }

  push(value: number): void {
    const { heap } = this;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((heap[parent] as number) >= value) break;
        heap[i] = heap[parent] as number;
        i = parent;
      }
      heap[i] = value;
      return;
    }
    if (value >= (heap[0] as number)) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.k) break;
      const right = left + 1;
      const child = right < this.k && (heap[right] as number) > (heap[left] as number) ? right : left;
      if ((heap[child] as number) <= value) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = value;
  }
}
