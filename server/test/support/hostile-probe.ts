import { availableParallelism, loadavg } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { burnCores, busyCores, cpuTicks } from "./cpu-share";
import { FREE_PACE_MS } from "./hostile";
import { overload, PROBES, type Probe, p99, type Timings, tally } from "./overload";

/**
 * The server's environment for hostile free keys, shared by the reliability test and `pnpm bench
 * hostile`: the default free tier (no RAPFS_TIERS), one trusted proxy hop so each signup comes
 * from an address of its own, and public downloads at a spool limit a key's distinct limits reach.
 */
export const hostileEnv = {
  RAPFS_TRUSTED_PROXY_HOPS: "1",
  RAPFS_SPOOL_MAX_BYTES: String(8 * 1024 * 1024),
  LOG_LEVEL: "info",
};

/** A series' value from a /metrics text (its name with any labels, as printed), in ms; NaN where absent. */
const seriesMs = (text: string, series: string) =>
  Number(
    text
      .split("\n")
      .find((l) => l.startsWith(`${series} `))
      ?.split(" ")
      .at(-1) ?? Number.NaN,
  ) * 1000;

/**
 * Since the last scrape (prom-client and the embedded database reset them on each): the event
 * loop's longest and p99 delay (perf_hooks monitorEventLoopDelay), and on the embedded database
 * the longest wait of an interactive statement for its one backend and all such waits together.
 */
export type Delays = Awaited<ReturnType<typeof delaysMs>>;

async function delaysMs(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const interactive = '{class="interactive"}';
  return {
    max: seriesMs(text, "rapfs_nodejs_eventloop_lag_max_seconds"),
    p99: seriesMs(text, "rapfs_nodejs_eventloop_lag_p99_seconds"),
    waitMax: seriesMs(text, `rapfs_embedded_backend_wait_max_seconds${interactive}`),
    waited: seriesMs(text, `rapfs_embedded_backend_wait_seconds_total${interactive}`),
  };
}

/** What one probe under hostile keys measured, and its printable summary. */
export type HostileProbe = {
  quiet: Timings;
  loaded: Timings;
  /** The hostile requests' outcomes, `kind:status` → count. */
  statuses: Record<string, number>;
  /** The hostile request kinds the keys send. */
  kinds: string[];
  /** Per process (in the order of `urls`), what the quiet phase and the loaded phase left. */
  quietDelays: Delays[];
  delays: Delays[];
  /** os.loadavg() just before the quiet phase and just after the loaded phase. */
  loadAverage: { before: number[]; after: number[] };
  /** The machine's busy cores on average in each phase (/proc/stat). */
  busy: { quiet: number; loaded: number; control?: number };
  /**
   * With `controlMs`: the same probes again with no hostile keys, while child processes that do
   * nothing keep as many more cores busy as the hostile load did. What the probes lose there is
   * the machine's share, not the server's doing.
   */
  control?: Timings;
  summary: string;
};

export type HostileProbeOptions = {
  tracks: number;
  clients: number;
  /** The bystander's key: the operator's, since its lookups would outrun a free key's 60 a minute. */
  probeKey: string;
  quietMs: number;
  loadedMs: number;
  /** A third phase of that long: the probes beside CPU burners matching the hostile load's CPU. */
  controlMs?: number;
  /** The machine's floor as a server (floor-process.ts), timed with the probes in every phase. */
  floorUrl?: string;
};

const row = (kind: Probe | "floor", quiet: Timings, loaded: Timings, label = "loaded") =>
  `hostile:   ${kind.padEnd(9)} quiet p99 ${p99(quiet[kind]).toFixed(1).padStart(7)} ms (${quiet[kind].length})` +
  `   ${label} p99 ${p99(loaded[kind]).toFixed(1).padStart(7)} ms (${loaded[kind].length})` +
  `   ${(p99(loaded[kind]) / p99(quiet[kind])).toFixed(2)}×`;
/** The probes' rows, and the floor's when it was timed. */
const rows = (quiet: Timings, loaded: Timings, label?: string) =>
  [...PROBES, ...(quiet.floor.length > 0 ? (["floor"] as const) : [])]
    .map((kind) => row(kind, quiet, loaded, label))
    .join("\n");

/** Each process's event-loop delay, `max / p99 ms`, comma-separated. */
export const perProcess = (list: Pick<Delays, "max" | "p99">[]) =>
  list.map((d) => `${d.max.toFixed(0)} / ${d.p99.toFixed(0)} ms`).join(", ");

/** Each process's interactive waits for the embedded backend, `longest / total ms`, comma-separated. */
export const backendWaits = (list: Delays[]) =>
  list.map((d) => `${d.waitMax.toFixed(0)} / ${d.waited.toFixed(0)} ms`).join(", ");

/** Per kind, `kind served/refused/left`, comma-separated. */
export const tallied = (statuses: Record<string, number>) =>
  Object.entries(tally(statuses))
    .map(([kind, t]) => `${kind} ${t.served}/${t.refused}/${t.left}`)
    .join(", ");

/**
 * `clients` free keys, spread over `urls`, each start one of the cheapest-to-send,
 * costliest-to-serve requests a second (FREE_PACE_MS) for `loadedMs`, while a bystander on the
 * first url times its probes (on a thread of its own), against the same probes for `quietMs` with
 * no load before it.
 */
export async function measureUnderHostileKeys(
  where: string,
  urls: string[],
  options: HostileProbeOptions,
): Promise<HostileProbe> {
  const { quietMs, loadedMs, controlMs = 0, floorUrl, ...load } = options;
  const probeUrl = urls[0] as string;
  const hostile = overload(probeUrl, {
    ...load,
    trainingRows: 1,
    kinds: "hostile",
    loadUrls: urls,
    paceMs: FREE_PACE_MS,
    ...(floorUrl ? { floorUrl } : {}),
  });
  await hostile.prepare(quietMs, loadedMs, controlMs);
  await Promise.all(urls.map(delaysMs));
  let quietDelays: Delays[] = [];
  const before = loadavg();
  const ticks = [cpuTicks()];
  // The load generator's own event loop (the free keys' requests are made here; the probes run on
  // a thread of their own, probes.ts): how much the machine's cores were shared with it.
  const own = monitorEventLoopDelay({ resolution: 1 });
  own.enable();
  const ownDelay = () => ({ max: own.max / 1e6, p99: own.percentile(99) / 1e6 });
  let ownQuiet = { max: 0, p99: 0 };
  const { quiet, loaded, statuses } = await hostile.run(quietMs, loadedMs, async () => {
    ticks.push(cpuTicks());
    ownQuiet = ownDelay();
    own.reset();
    quietDelays = await Promise.all(urls.map(delaysMs));
  });
  own.disable();
  const ownLoaded = ownDelay();
  ticks.push(cpuTicks());
  const after = loadavg();
  const delays = await Promise.all(urls.map(delaysMs));
  const [start, loadStart, loadEnd] = ticks as [(typeof ticks)[0], (typeof ticks)[0], (typeof ticks)[0]];
  const busy: HostileProbe["busy"] = {
    quiet: busyCores(start, loadStart),
    loaded: busyCores(loadStart, loadEnd),
  };
  let control: Timings | undefined;
  if (controlMs > 0) {
    // What the abandoned and refused requests left running ends first.
    await sleep(3_000);
    const burners = burnCores(Math.max(0, busy.loaded - busy.quiet), controlMs + 10_000);
    const from = cpuTicks();
    try {
      control = await hostile.probeAgain(controlMs);
    } finally {
      burners.stop();
    }
    busy.control = busyCores(from, cpuTicks());
  }
  const controlRows = control ? `\n${rows(quiet, control, "burned")}` : "";
  const summary =
    `hostile: ${where}, ${options.clients} free keys for ${loadedMs / 1000} s\n` +
    `${rows(quiet, loaded)}${controlRows}\n` +
    `hostile: busy cores (of ${availableParallelism()}): quiet ${busy.quiet.toFixed(2)}, loaded ${busy.loaded.toFixed(2)}${busy.control === undefined ? "" : `, burned ${busy.control.toFixed(2)}`}\n` +
    `hostile: event-loop delay per process (max / p99), quiet: ${perProcess(quietDelays)}; loaded: ${perProcess(delays)}\n` +
    `hostile: the load generator's own event-loop delay (max / p99), quiet: ${perProcess([ownQuiet])}; loaded: ${perProcess([ownLoaded])}\n` +
    (delays.some((d) => !Number.isNaN(d.waitMax))
      ? `hostile: embedded database, interactive statements' waits for the backend (longest / total): ${backendWaits(delays)}\n`
      : "") +
    `hostile: served / refused / left by the client, per kind: ${tallied(statuses)}\n` +
    `hostile: failures quiet ${JSON.stringify(quiet.failures)}, loaded ${JSON.stringify(loaded.failures)}\n` +
    `hostile: requests (kind:status → count): ${JSON.stringify(statuses)}`;
  return {
    quiet,
    loaded,
    statuses,
    kinds: hostile.kinds,
    quietDelays,
    delays,
    loadAverage: { before, after },
    busy,
    ...(control ? { control } : {}),
    summary,
  };
}
