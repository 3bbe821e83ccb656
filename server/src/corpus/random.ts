/**
 * Seeded randomness for the corpus. Every entity draws from its own stream, keyed by
 * (seed, stream tag, index…), so any track can be regenerated alone — a duplicate re-derives its
 * source, an analysis re-derives its track — without keeping the corpus in memory.
 *
 * sfc32 uses only 32-bit integer arithmetic, so a stream is identical on every platform;
 * Math.random is never used.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Marsaglia's polar method). */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + sd * z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = this.next() * 2 - 1;
      v = this.next() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return mean + sd * u * f;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  /** Index drawn with probability proportional to its weight. */
  weighted(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i] ?? 0;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] ?? 0;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Fisher–Yates, in place. */
  shuffle<T extends { length: number; [i: number]: number }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i] as number;
      array[i] = array[j] as number;
      array[j] = tmp;
    }
    return array;
  }
}

function mix32(h: number): number {
  let x = h >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A stream for (seed, keys…): equal keys give equal streams, any difference gives another. */
export function rngFor(seed: number, ...keys: number[]): Rng {
  let h = mix32(seed ^ 0x9e3779b9);
  let l = mix32((seed / 4_294_967_296) ^ 0x85ebca6b);
  for (const key of keys) {
    h = mix32(h ^ mix32(key + 0x27d4eb2f));
    l = mix32(l + Math.imul(key ^ 0x165667b1, 0xc2b2ae35));
  }
  return new Rng(h, l, mix32(h ^ l ^ 0x61c88647), mix32(h + l + keys.length));
}

/** Stream tags: one per kind of entity, so streams never overlap. */
export const Stream = {
  layout: 1,
  artist: 2,
  album: 3,
  track: 4,
  lyrics: 5,
  trackTime: 6,
  analysis: 7,
  cluster: 8,
  embeddingNoise: 9,
  coverage: 10,
} as const;
