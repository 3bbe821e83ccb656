import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { startTypeScriptWorker } from "../../src/db/typescript-worker";
import { type ExpensiveRequest, hostileRequests } from "./hostile";
import { type ProbePhase, roundsFor, signupRequest, type Timings } from "./probes";

const PROBE_THREAD = new URL("./probe-thread.ts", import.meta.url);

/**
 * The overload a free tier can make, shared by the reliability test and `pnpm bench overload`:
 * four free keys run the most expensive requests a free key may make (fresh as_of cards,
 * downloads in every format, point-in-time training uploads, filtered searches) while a fifth
 * client times lookups with a known key and with one the server has never seen, /v1/usage, a
 * signup and /ready. Every loop is bounded in count and in time.
 */
export const EXPENSIVE_CLIENTS = 4;
/** The reliability test's corpus scale (RAPFS_OVERLOAD_SCALE=1 for the README's scale). */
export const OVERLOAD_SCALE = process.env.RAPFS_OVERLOAD_SCALE ?? "0.25";
export { PROBES, type Probe, type Timings } from "./probes";

const EXPENSIVE_TIMEOUT_MS = 90_000;
const MAX_EXPENSIVE_REQUESTS = 10_000;
const FORMATS = ["parquet", "csv", "arrow", "json"] as const;

/**
 * The server's environment: free quotas raised so the four keep the database busy for the whole
 * run, and one trusted proxy hop so each signup comes from an X-Forwarded-For address of its own
 * (signups are limited to 5 an hour per address), as behind a load balancer.
 */
export function overloadEnv(scale: string): Record<string, string> {
  return {
    RAPFS_CORPUS_SCALE: scale,
    RAPFS_TRUSTED_PROXY_HOPS: "1",
    RAPFS_TIERS: JSON.stringify({
      free: { requests: 100_000, rows: 1_000_000_000, downloads: 10_000, bytes: 1_000_000_000_000 },
    }),
  };
}

export type Overload = {
  /** Keys for the four and the probe, and fresh keys for `quietMs`, `loadedMs` and `laterMs` of probing. */
  prepare(quietMs: number, loadedMs: number, laterMs?: number): Promise<void>;
  /** After `run`: the same probes again for `ms`, with no load from the four. */
  probeAgain(ms: number): Promise<Timings>;
  /**
   * Probes for `ms` with no load, then for `ms` of load; what each answered. `betweenPhases` runs
   * after the quiet phase, before the load starts (a scrape of what the quiet phase left).
   */
  run(
    quietMs: number,
    loadedMs: number,
    betweenPhases?: () => Promise<void>,
  ): Promise<{ quiet: Timings; loaded: Timings; statuses: Record<string, number> }>;
  /** The request kinds of the four. */
  kinds: string[];
};

export type OverloadOptions = {
  tracks: number;
  trainingRows: number;
  /** The heaviest requests a raised free tier lets through, or what a real free key can send (hostile.ts). */
  kinds?: "heaviest" | "hostile";
  clients?: number;
  /** Servers the expensive clients spread over (client i to the i-th); the probes use `url`. */
  loadUrls?: string[];
  /** The bystander's own key (a tier above the hostile keys'); unset, a free key of its own. */
  probeKey?: string;
  /** Each expensive client starts a request every `paceMs` instead of one after the other. */
  paceMs?: number;
  /** A floor process (floor-process.ts) timed once a probe round, beside the probes. */
  floorUrl?: string;
};

export function overload(url: string, options: OverloadOptions): Overload {
  const clients = options.clients ?? EXPENSIVE_CLIENTS;
  const loadUrls = options.loadUrls ?? [url];
  // A run of its own (emails, addresses), so a server that kept its data from a run before can be reused.
  const run = randomUUID().slice(0, 8);
  let signups = Math.floor(Math.random() * 8_000_000);
  const signup = (): Promise<Response> => signupRequest(url, run, ++signups);
  const signedUpKey = async (): Promise<string> => {
    let res = await signup();
    // A busy shared database may shed a signup (503): preparing the run retries it a few times.
    for (let retry = 0; res.status === 503 && retry < 5; retry++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      res = await signup();
    }
    if (res.status !== 201) throw new Error(`signup answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { key: { key: string } }).key.key;
  };
  const signedUpKeys = async (count: number): Promise<string[]> => {
    const keys: string[] = [];
    while (keys.length < count) {
      const batch = Math.min(8, count - keys.length);
      keys.push(...(await Promise.all(Array.from({ length: batch }, signedUpKey))));
    }
    return keys;
  };

  const randomTrack = () => Math.floor(Math.random() * options.tracks) + 1;
  const randomAsOf = () =>
    new Date(Date.UTC(2019, 0, 1) + Math.floor(Math.random() * 7 * 365 * 86_400_000)).toISOString();
  // One body built once; a fresh first row per upload makes each upload new to the server's caches.
  const trainingRows = Array.from(
    { length: options.trainingRows - 1 },
    (_, i) => `${randomTrack()},${randomAsOf()},${i % 2}`,
  ).join("\n");
  const trainingCsv = () =>
    `track_id,event_timestamp,label\n${randomTrack()},${randomAsOf()},1\n${trainingRows}`;

  const expensiveRequests = (key: string): ExpensiveRequest[] => {
    if (options.kinds === "hostile")
      return onlyKinds(hostileRequests(key, { tracks: options.tracks, trainingRows: 100_000, randomAsOf }));
    const headers = { authorization: `Bearer ${key}` };
    return [
      ["card", () => [`/v1/datasets/public?as_of=${randomAsOf()}`, { headers }]],
      ...FORMATS.map(
        (format): ExpensiveRequest => [
          `download ${format}`,
          (n) => [
            `/v1/datasets/public/download?format=${format}${n % 2 === 1 ? `&as_of=${randomAsOf()}` : ""}`,
            { headers },
          ],
        ],
      ),
      [
        "training",
        () => [
          "/v1/datasets/training?dataset=public&format=parquet",
          { method: "POST", headers: { ...headers, "content-type": "text/csv" }, body: trainingCsv() },
        ],
      ],
      [
        "search",
        () => [
          "/v1/embeddings/lyrics/search",
          {
            method: "POST",
            headers: { ...headers, "content-type": "application/json" },
            body: JSON.stringify({
              id: randomTrack(),
              k: 10,
              filters: [
                { feature: "track_profile:popularity", op: "gte", value: 40 },
                { feature: "qwen_analysis:sentiment", op: "ne", value: "negative" },
              ],
            }),
          },
        ],
      ],
    ];
  };

  /** One expensive request's outcome: its status, `timeout`, `abandoned` (the client left on purpose) or `0`. */
  const send = async (target: string, request: ExpensiveRequest[1], n: number): Promise<string> => {
    const [path, init, abandonAfterMs] = request(n);
    // An abandoning client goes away after a moment, as a client with a short timeout does.
    const abandon = abandonAfterMs === undefined ? undefined : new AbortController();
    const abandoning = abandon && setTimeout(() => abandon.abort(), abandonAfterMs);
    const timeout = AbortSignal.timeout(EXPENSIVE_TIMEOUT_MS);
    const outcome = await fetch(`${target}${path}`, {
      ...init,
      signal: abandon ? AbortSignal.any([timeout, abandon.signal]) : timeout,
    })
      .then(async (res) => {
        // Read and dropped a chunk at a time: a 67 MB download joined into one buffer held the
        // prober's event loop, and every probe in flight with it.
        const reader = res.body?.getReader();
        while (reader && !(await reader.read()).done);
        return `${res.status}`;
      })
      .catch((error: Error) =>
        error.name === "TimeoutError" ? "timeout" : abandon?.signal.aborted ? "abandoned" : "0",
      );
    clearTimeout(abandoning);
    return outcome;
  };

  /**
   * A key's expensive requests until stopped, each time the kind the four have started least (so
   * every kind is sent within the first few requests however slow each one is): one after the
   * other, or with `paceMs` one started every `paceMs` whether or not the ones before have been
   * answered (a key sending all its rate allows, at the rate it allows).
   */
  const expensiveClient = async (
    index: number,
    requests: ExpensiveRequest[],
    stop: AbortSignal,
    run: { statuses: Record<string, number>; started: Map<string, number> },
  ) => {
    const target = loadUrls[index % loadUrls.length] as string;
    const inFlight: Promise<void>[] = [];
    for (let n = 0; !stop.aborted && n < MAX_EXPENSIVE_REQUESTS; n++) {
      const [kind, request] = leastStarted(requests, run.started, index * 2);
      const times = run.started.get(kind) ?? 0;
      run.started.set(kind, times + 1);
      const sent = send(target, request, times).then((outcome) => {
        run.statuses[`${kind}:${outcome}`] = (run.statuses[`${kind}:${outcome}`] ?? 0) + 1;
      });
      if (options.paceMs === undefined) await sent;
      else {
        inFlight.push(sent);
        await new Promise((resolve) => setTimeout(resolve, options.paceMs));
      }
    }
    await Promise.all(inFlight);
  };

  let probeKey = "";
  // Each free key's requests, made before the probes start: a 100,000-row training CSV took the
  // prober's event loop 100-400 ms to build, at the loaded phase's start.
  const freeKeys: ExpensiveRequest[][] = [];
  const freshKeys: { quiet: string[]; loaded: string[]; later: string[] } = {
    quiet: [],
    loaded: [],
    later: [],
  };

  /** The fifth client (probes.ts), on a thread of its own, until `stop` or out of fresh keys. */
  const probe = async (stop: AbortSignal, fresh: string[]): Promise<Timings> => {
    const phase: ProbePhase = {
      url,
      probeKey,
      freshKeys: fresh,
      tracks: options.tracks,
      signupsFrom: signups,
      run,
      ...(options.floorUrl ? { floorUrl: options.floorUrl } : {}),
    };
    const thread = await startTypeScriptWorker(PROBE_THREAD, { workerData: phase });
    const stopThread = () => thread.postMessage("stop");
    if (stop.aborted) stopThread();
    else stop.addEventListener("abort", stopThread, { once: true });
    try {
      const [result] = (await Promise.race([
        once(thread, "message"),
        once(thread, "exit").then(([code]) => {
          throw new Error(`the probe thread exited (${code}) without its timings`);
        }),
      ])) as [{ timings: Timings; signups: number }];
      signups = result.signups;
      return result.timings;
    } finally {
      stop.removeEventListener("abort", stopThread);
      await thread.terminate();
    }
  };

  const kinds = expensiveRequests("").map(([kind]) => kind);
  return {
    kinds,
    async prepare(quietMs, loadedMs, laterMs = 0) {
      freeKeys.push(...(await signedUpKeys(clients)).map(expensiveRequests));
      probeKey = options.probeKey ?? (await signedUpKey());
      // A fresh key a round, each used once, for as many rounds as outlast each phase.
      freshKeys.quiet = await signedUpKeys(roundsFor(quietMs));
      freshKeys.loaded = await signedUpKeys(roundsFor(loadedMs));
      if (laterMs > 0) freshKeys.later = await signedUpKeys(roundsFor(laterMs));
      // The probe thread's module is bundled on its first start: here, not in the quiet phase's time.
      await probe(new AbortController().signal, []);
    },
    probeAgain(ms) {
      return probe(AbortSignal.timeout(ms), freshKeys.later);
    },
    async run(quietMs, loadedMs, betweenPhases) {
      const quiet = await probe(AbortSignal.timeout(quietMs), freshKeys.quiet);
      await betweenPhases?.();
      const load = { statuses: {} as Record<string, number>, started: new Map<string, number>() };
      const loadedFor = loadedUntilEveryKindStarted(loadedMs, () => load.started.size === kinds.length);
      const clients = freeKeys.map((requests, i) => expensiveClient(i, requests, loadedFor, load));
      const loaded = await probe(loadedFor, freshKeys.loaded);
      await Promise.all(clients);
      return { quiet, loaded, statuses: load.statuses };
    },
  };
}

/** The kind started fewest times so far; ties go to the first from `offset` on (clients start apart). */
function leastStarted(
  requests: ExpensiveRequest[],
  started: Map<string, number>,
  offset: number,
): ExpensiveRequest {
  let least = requests[offset % requests.length] as ExpensiveRequest;
  for (let i = 1; i < requests.length; i++) {
    const candidate = requests[(offset + i) % requests.length] as ExpensiveRequest;
    if ((started.get(candidate[0]) ?? 0) < (started.get(least[0]) ?? 0)) least = candidate;
  }
  return least;
}

/**
 * Aborts once `ms` have passed and every kind has been started, or at twice `ms` whatever was
 * started: on a slow machine the load phase runs on until each kind was sent at least once.
 */
function loadedUntilEveryKindStarted(ms: number, everyKindStarted: () => boolean): AbortSignal {
  const stop = new AbortController();
  const startedAt = Date.now();
  const check = setInterval(() => {
    const elapsed = Date.now() - startedAt;
    if ((elapsed >= ms && everyKindStarted()) || elapsed >= 2 * ms) {
      clearInterval(check);
      stop.abort();
    }
  }, 100);
  return stop.signal;
}

/** A connection failure or a 5xx other than 503 (which is the server shedding load on purpose). */
export const serverFailure = (outcome: string) =>
  outcome === "0" || (/^5\d\d$/.test(outcome) && outcome !== "503");

/** An expensive request's answer: served (2xx), refused (4xx, 503), or left unanswered (its client gave up). */
export type Tally = { served: number; refused: number; left: number };

/** Per kind, how many of the expensive requests were served, refused and left (send's outcomes). */
export function tally(statuses: Record<string, number>): Record<string, Tally> {
  const kinds: Record<string, Tally> = {};
  for (const [key, count] of Object.entries(statuses)) {
    const at = key.lastIndexOf(":");
    const [kind, outcome] = [key.slice(0, at), key.slice(at + 1)];
    const entry = kinds[kind] ?? { served: 0, refused: 0, left: 0 };
    kinds[kind] = entry;
    if (/^2\d\d$/.test(outcome)) entry.served += count;
    else if (/^(4\d\d|503)$/.test(outcome)) entry.refused += count;
    else entry.left += count;
  }
  return kinds;
}

export const p99 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? Number.NaN;
};

/** RAPFS_HOSTILE_KINDS (a comma list, e.g. "wide batch,distinct limit"): which kinds to send, to find whose cost it is. */
function onlyKinds(requests: ExpensiveRequest[]): ExpensiveRequest[] {
  const only = process.env.RAPFS_HOSTILE_KINDS?.split(",").map((kind) => kind.trim());
  return only ? requests.filter(([kind]) => only.includes(kind)) : requests;
}
