/**
 * The bystander's probes (overload.ts): each probe once a round (the lookup LOOKUPS_PER_ROUND
 * times), one after the other, until stopped or out of fresh keys. They run on a thread of their
 * own (probe-thread.ts), so what the expensive clients do on the load generator's event loop is in
 * none of their times.
 */
export const PROBES = ["lookup", "fresh key", "usage", "signup", "ready"] as const;
export type Probe = (typeof PROBES)[number];
/** Each probe's times; `floor`, with a floor URL, the machine's floor's beside them. */
export type Timings = Record<Probe, number[]> & { failures: string[]; floor: number[] };

const PAUSE_MS = 10;
/**
 * The lookup's p99 is the figure the phases are judged by: at once a round, 30 s gave ~365
 * lookups, whose p99 is the 4th slowest, and runs of the same build ranged 0.8-4×.
 */
const LOOKUPS_PER_ROUND = 3;
const ROUND: readonly Probe[] = PROBES.flatMap((kind) =>
  kind === "lookup" ? Array<Probe>(LOOKUPS_PER_ROUND).fill(kind) : [kind],
);
const PROBE_TIMEOUT_MS = 30_000;

/** Everything a probe phase needs, as plain data a thread can be given. */
export type ProbePhase = {
  url: string;
  probeKey: string;
  /** One per round: a key the server has not seen, for the fresh-key lookup. */
  freshKeys: string[];
  tracks: number;
  floorUrl?: string;
  /** Signups are numbered from here on (each its own email and forwarded address). */
  signupsFrom: number;
  /** The run's own prefix for signup emails. */
  run: string;
};

/** A signup from its own X-Forwarded-For address (5 an hour per address). */
export function signupRequest(url: string, run: string, n: number, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/v1/signup`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-forwarded-for": `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
    },
    body: JSON.stringify({ email: `overload-${run}-${n}@example.com` }),
    ...(signal ? { signal } : {}),
  });
}

/** The probes until `stopped()` or out of fresh keys; the times, and the next signup's number. */
export async function runProbes(
  phase: ProbePhase,
  stopped: () => boolean,
): Promise<{ timings: Timings; signups: number }> {
  const { url, probeKey, tracks, floorUrl } = phase;
  let signups = phase.signupsFrom;
  const timings: Timings = {
    lookup: [],
    "fresh key": [],
    usage: [],
    signup: [],
    ready: [],
    failures: [],
    floor: [],
  };
  const randomTrack = () => Math.floor(Math.random() * tracks) + 1;
  const auth = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
  const requests: Record<Probe, (signal: AbortSignal, freshKey: string) => Promise<Response>> = {
    lookup: (signal) =>
      fetch(`${url}/v1/features/track/${randomTrack()}?service=hit_predictor`, { ...auth(probeKey), signal }),
    "fresh key": (signal, freshKey) =>
      fetch(`${url}/v1/features/track/${randomTrack()}?service=hit_predictor`, { ...auth(freshKey), signal }),
    usage: (signal) => fetch(`${url}/v1/usage`, { ...auth(probeKey), signal }),
    signup: (signal) => signupRequest(url, phase.run, ++signups, signal),
    ready: (signal) => fetch(`${url}/ready`, { signal }),
  };
  /** One request's time; its failure (anything but `expected`) noted. */
  const timed = async (name: string, request: Promise<Response>, expected: number, into: number[]) => {
    const started = performance.now();
    const res = await request
      .then(async (response) => {
        await response.arrayBuffer();
        return response;
      })
      .catch((error: Error) => error);
    into.push(performance.now() - started);
    if (!(res instanceof Response && res.status === expected) && timings.failures.length < 20)
      timings.failures.push(
        `${name} ${res instanceof Response ? res.status : `${res.name}: ${res.message}`}`,
      );
  };
  for (const freshKey of phase.freshKeys) {
    for (const kind of ROUND) {
      if (stopped()) return { timings, signups };
      const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
      await timed(kind, requests[kind](signal, freshKey), kind === "signup" ? 201 : 200, timings[kind]);
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
    if (floorUrl && !stopped())
      await timed(
        "floor",
        fetch(floorUrl, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }),
        200,
        timings.floor,
      );
  }
  return { timings, signups };
}

/** Rounds that outlast `ms`: every round sleeps at least ROUND.length pauses (timers may fire a ms early). */
export const roundsFor = (ms: number) => Math.ceil(ms / (ROUND.length * (PAUSE_MS - 1))) + 10;
