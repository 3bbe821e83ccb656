import { setTimeout as sleep } from "node:timers/promises";

/** Who a download is sent to: its account shares one pace, whatever keys and downloads it uses. */
export type PacedCaller = { readonly accountId: string; readonly tier: string };

export type SendPaceOptions = {
  /** Bytes a second an account of `tier` may be sent, or null for as fast as the client reads. */
  rateOf(tier: string): number | null;
  /** Called with each wait a pace imposes, for rapfs_download_paced_seconds_total. */
  onWait?(tier: string, seconds: number): void;
  now?(): number;
};

/** How much a caller may receive at once, at its rate: a small file (a preview, a card) is never held. */
const BURST_SECONDS = 0.5;
const MIN_BURST_BYTES = 256 * 1024;
/** Past this many accounts remembered, those whose allowance has refilled are forgotten. */
const PRUNE_AT = 1_024;

type Allowance = { bytes: number; at: number; rate: number };

/**
 * Each account's download bytes, sent no faster than its tier's `bytes_per_second`, in this
 * process (N processes give an account up to N times that). A daily byte quota bounds what a
 * key may take in a day, not how fast: four free keys reading 67 MB files as fast as loopback
 * allows kept three server processes and the machine busy with nothing but sends (issue #38).
 * A token bucket in debt: every chunk of every download of the account draws from one allowance,
 * refilled at the rate, and waits until the allowance is out of debt, so concurrent downloads
 * share the rate rather than multiply it.
 */
export class SendPace {
  private readonly allowances = new Map<string, Allowance>();
  private readonly now: () => number;

  constructor(private readonly options: SendPaceOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** `body` as `caller` may receive it: unchanged for a tier without a rate. */
  paced(body: ReadableStream<Uint8Array>, caller: PacedCaller): ReadableStream<Uint8Array> {
    const rate = this.options.rateOf(caller.tier);
    if (rate === null) return body;
    const reader = body.getReader();
    const gone = new AbortController();
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          try {
            const next = await reader.read();
            if (next.done) {
              controller.close();
              return;
            }
            const waitMs = this.draw(caller, rate, next.value.byteLength);
            if (waitMs > 0) {
              this.options.onWait?.(caller.tier, waitMs / 1000);
              await sleep(waitMs, undefined, { signal: gone.signal });
            }
            controller.enqueue(next.value);
          } catch (error) {
            if (gone.signal.aborted) return;
            await reader.cancel(error).catch(() => {});
            controller.error(error);
          }
        },
        cancel: async (reason) => {
          gone.abort();
          await reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** Draws `bytes` from the caller's allowance; the milliseconds to wait until it is out of debt. */
  draw(caller: PacedCaller, rate: number, bytes: number): number {
    const now = this.now();
    let allowance = this.allowances.get(caller.accountId);
    if (!allowance) {
      if (this.allowances.size >= PRUNE_AT) this.prune(now);
      allowance = { bytes: burstOf(rate), at: now, rate };
      this.allowances.set(caller.accountId, allowance);
    }
    allowance.rate = rate;
    allowance.bytes = refilled(allowance, now) - bytes;
    allowance.at = now;
    return allowance.bytes >= 0 ? 0 : (-allowance.bytes / rate) * 1000;
  }

  /** How many accounts' allowances are remembered (pruned past PRUNE_AT). */
  get remembered(): number {
    return this.allowances.size;
  }

  private prune(now: number): void {
    for (const [account, allowance] of this.allowances) {
      // Refilled: it would start full anyway.
      if (refilled(allowance, now) >= burstOf(allowance.rate)) {
        this.allowances.delete(account);
      }
    }
  }
}

const burstOf = (rate: number) => Math.max(MIN_BURST_BYTES, rate * BURST_SECONDS);

/** The allowance's bytes now, refilled at its rate since it was last drawn from, up to a burst. */
function refilled(allowance: Allowance, now: number): number {
  return Math.min(burstOf(allowance.rate), allowance.bytes + ((now - allowance.at) * allowance.rate) / 1000);
}
