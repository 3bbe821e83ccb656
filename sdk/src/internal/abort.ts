import { APIUserAbortError } from "../core/errors";

const MAX_TIMER_MS = 2_147_483_647;

/** Resolves after `ms`, or rejects with APIUserAbortError as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal | null, requestId?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new APIUserAbortError({ cause: signal.reason, requestId }));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new APIUserAbortError({ cause: signal?.reason, requestId }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A signal that fires when the caller's signal does or when `timeoutMs` pass without `touch()`.
 * `clear()` stops the timer once the response headers are in, and the caller's signal stays
 * linked so it can still cancel a streamed body; a download instead `touch()`es it at each chunk
 * of its body (watched-body.ts), so its timeout is the wait between bytes.
 */
export function attemptSignal(
  userSignal: AbortSignal | null | undefined,
  timeoutMs: number,
  /** The transport reads only `aborted`, `reason` and abort listeners (node-fetch.ts). */
  plain = false,
) {
  const timeout = plain && !userSignal ? new PlainAbort() : new AbortController();
  const armed = Number.isFinite(timeoutMs) && timeoutMs <= MAX_TIMER_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const touch = () => {
    clearTimeout(timer);
    if (armed) timer = setTimeout(() => timeout.abort(), Math.max(0, timeoutMs));
  };
  touch();
  const signal = (
    userSignal ? anySignal([userSignal, timeout.signal as AbortSignal]) : timeout.signal
  ) as AbortSignal;
  return {
    signal,
    touch,
    timedOut: () => timeout.signal.aborted && !userSignal?.aborted,
    clear: () => clearTimeout(timer),
  };
}

export type AttemptTimer = ReturnType<typeof attemptSignal>;

export function anySignal(signals: AbortSignal[]): AbortSignal {
  // AbortSignal.any (Node ≥ 20.3, current browsers) lets go of its listeners when the result is collected.
  if (typeof AbortSignal.any === "function") return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener("abort", () => controller.abort(s.reason), { once: true, signal: controller.signal });
  }
  return controller.signal;
}

/**
 * An AbortController for a transport of this SDK's own: the same `signal` members it reads, where
 * Node 20's AbortController costs ~20 µs a call (most of it making the signal transferable), a
 * tenth of a lookup's whole client time. Only without a caller's signal, which stays an AbortSignal.
 */
class PlainAbort {
  readonly signal = new PlainSignal();
  abort(reason?: unknown): void {
    this.signal.fire(reason ?? new DOMException("This operation was aborted", "AbortError"));
  }
}

class PlainSignal {
  aborted = false;
  reason: unknown;
  #listeners: Array<(this: PlainSignal, event: { type: "abort"; target: PlainSignal }) => void> = [];

  addEventListener(_type: "abort", listener: (this: PlainSignal) => void): void {
    this.#listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: (this: PlainSignal) => void): void {
    this.#listeners = this.#listeners.filter((l) => l !== listener);
  }

  fire(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    // Called as an EventTarget calls its listeners: with the signal as `this` and an event.
    for (const listener of this.#listeners.splice(0)) listener.call(this, { type: "abort", target: this });
  }
}
