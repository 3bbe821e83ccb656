import { afterAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/access/api-key-format";
import { type ServerProcess, startServerProcess, waitReady } from "../access-http/processes";
import { overload, PROBES, type Probe, p99, serverFailure, type Timings } from "../support/overload";
import { type Stack, startStack } from "./stack";

/**
 * Free keys on the default free tier (60 requests a minute, 3 downloads and 10,000 rows a day)
 * send what is cheapest to send and costliest to serve (support/hostile.ts): JSON bodies just
 * under each route's limit, 100,000-row training CSVs, as_of cards abandoned after 300 ms and
 * public downloads at limits of their own with RAPFS_SPOOL_MAX_BYTES set, while a bystander's
 * lookups, fresh-key lookups, /v1/usage, signups and /ready are timed against the same probes with
 * no load in the same run (the bystander's known key is the operator's, since its lookups
 * would outrun a free key's 60 a minute). On the embedded default (one process, four keys) and on a server
 * database with one Redis and three processes (one key on each of them, and a fourth). Small
 * scales for CI: `pnpm bench overload` measures scale 1. No probe and no hostile request may fail
 * (a 5xx other than a 503, a dropped connection); each probe's p99 against its quiet phase and
 * each process's longest event-loop delay are printed. The brief's ceiling (250 ms, 2× quiet) is
 * not asserted yet because it is not met: on a machine at load 23 to 37, fresh-key lookups' p99
 * went from 95 to 1,718 ms embedded and from 20 to 1,186 ms on three processes, with event-loop
 * delays of 0.4 to 0.9 s (issue #38).
 */
const SCALE = process.env.RAPFS_HOSTILE_SCALE ?? "0.02";
const QUIET_MS = 6_000;
const LOADED_MS = 12_000;
const hostileEnv = {
  RAPFS_TRUSTED_PROXY_HOPS: "1",
  RAPFS_SPOOL_MAX_BYTES: String(8 * 1024 * 1024),
  LOG_LEVEL: "info",
};

/** The longest event-loop delay since the last scrape (prom-client resets it on each). */
async function loopDelayMs(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("rapfs_nodejs_eventloop_lag_max_seconds"));
  return Number(line?.split(" ").at(-1) ?? Number.NaN) * 1000;
}

const row = (kind: Probe, quiet: Timings, loaded: Timings) =>
  `hostile:   ${kind.padEnd(9)} quiet p99 ${p99(quiet[kind]).toFixed(1).padStart(7)} ms (${quiet[kind].length})` +
  `   loaded p99 ${p99(loaded[kind]).toFixed(1).padStart(7)} ms (${loaded[kind].length})` +
  `   ${(p99(loaded[kind]) / p99(quiet[kind])).toFixed(2)}×`;

async function probeUnderHostileKeys(
  where: string,
  urls: string[],
  options: { tracks: number; clients: number; probeKey: string },
): Promise<void> {
  const probeUrl = urls[0] as string;
  const load = overload(probeUrl, { ...options, trainingRows: 1, kinds: "hostile", loadUrls: urls });
  await load.prepare(QUIET_MS, LOADED_MS);
  await Promise.all(urls.map(loopDelayMs));
  const { quiet, loaded, statuses } = await load.run(QUIET_MS, LOADED_MS);
  const delays = await Promise.all(urls.map(loopDelayMs));
  console.info(
    `hostile: ${where}, ${options.clients} free keys for ${LOADED_MS / 1000} s\n` +
      `${PROBES.map((kind) => row(kind, quiet, loaded)).join("\n")}\n` +
      `hostile: longest event-loop delay over the run, per process: ${delays.map((d) => `${d.toFixed(0)} ms`).join(", ")}\n` +
      `hostile: failures quiet ${JSON.stringify(quiet.failures)}, loaded ${JSON.stringify(loaded.failures)}\n` +
      `hostile: requests (kind:status → count): ${JSON.stringify(statuses)}`,
  );
  expect(quiet.failures).toEqual([]);
  expect(loaded.failures).toEqual([]);
  const outcomes = Object.keys(statuses).map((k) => k.split(":") as [string, string]);
  for (const kind of load.kinds)
    expect(
      outcomes.some(([k]) => k === kind),
      kind,
    ).toBe(true);
  expect(outcomes.filter(([, o]) => serverFailure(o)).map((o) => o.join(":"))).toEqual([]);
}

describe("free keys sending the cheapest-to-send, costliest-to-serve requests they may", () => {
  let server: ServerProcess | undefined;
  let stack: Stack | undefined;
  afterAll(async () => {
    await server?.stop();
    await stack?.stop();
  });

  it("the embedded default, four keys: no failure, and the figures", async () => {
    const adminKey = generateKey().key;
    server = await startServerProcess("hostile", {
      ...hostileEnv,
      RAPFS_CORPUS_SCALE: SCALE,
      RAPFS_ADMIN_KEY: adminKey,
    });
    await waitReady(server);
    const tracks = Math.max(1, Math.floor(57_718 * Number(SCALE)));
    await probeUnderHostileKeys(`embedded, scale ${SCALE}`, [server.url], {
      tracks,
      clients: 4,
      probeKey: adminKey,
    });
    await server.stop();
    server = undefined;
  }, 300_000);

  it("a server database, one Redis, three processes, four keys: no failure, and the figures", async () => {
    stack = await startStack(3, { env: hostileEnv });
    const tracks = Math.floor(57_718 * 0.004);
    await probeUnderHostileKeys(
      "server database (shared PGlite over TCP), one Redis, three processes, scale 0.004",
      stack.servers.map((s) => s.url),
      { tracks, clients: 4, probeKey: stack.adminKey },
    );
  }, 300_000);
});
