import autocannon from "autocannon";
import { cpuSeconds, type LoadOptions, type LoadResult, percentile } from "./measure";
import { paced } from "./paced";

export type { LoadOptions, LoadResult };

/** The median of the figures there are (a round too slow to answer once has none). */
export function median(values: number[]): number {
  const known = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return known[Math.floor(known.length / 2)] ?? Number.NaN;
}

/**
 * Drives `url` with autocannon for a fixed time. Latencies are collected per response in
 * fractional milliseconds: autocannon's own histogram rounds to whole ms, too coarse for 2 ms targets.
 */
export function load(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  const cpuBefore = cpuSeconds(options.pid);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: options.method ?? "GET",
        headers: { ...options.headers, ...(options.body ? { "content-type": "application/json" } : {}) },
        ...(options.body ? { body: options.body } : {}),
        ...(options.next
          ? { requests: [{ setupRequest: (request) => ({ ...request, ...options.next?.() }) }] }
          : {}),
        connections: options.connections,
        duration: options.seconds,
        // A slow workload is measured, not cut off: its latencies are the figure.
        timeout: 120,
      },
      (error, result) => {
        if (error) return reject(error);
        const sorted = latencies.sort((a, b) => a - b);
        const cpu = cpuSeconds(options.pid) - cpuBefore;
        resolve({
          rps: latencies.length / options.seconds,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          requests: result.requests.total,
          failures: failures + result.errors + result.timeouts,
          cpuUs: (cpu * 1e6) / Math.max(1, latencies.length),
        });
      },
    );
    instance.on("response", (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) latencies.push(responseTime);
      else failures++;
    });
  });
}

/** A URL to load; `pid`, when the side is served by another process than the run's. */
export type Side = Omit<LoadOptions, "seconds" | "connections" | "pid"> & { pid?: number | undefined };

/** The median of each figure over rounds; `rounds` keeps every round for the per-round ratios. */
export type Measured = LoadResult & { rounds: LoadResult[] };

/**
 * Each side for `seconds` per round, alternating sides within every round after a short warm-up,
 * so a noisy moment of the machine lands on all of them alike. Medians per side.
 */
export async function alternate(
  sides: Side[],
  options: {
    rounds: number;
    seconds: number;
    connections: number;
    pid?: number | undefined;
    /** Offered requests per second (paced.ts); without it, each connection sends as fast as answered. */
    rate?: number;
  },
): Promise<Measured[]> {
  const { rounds, seconds, connections, pid, rate } = options;
  const run = async (side: Side, duration: number) => {
    const result =
      rate === undefined
        ? await load({ ...side, seconds: duration, connections, pid: side.pid ?? pid })
        : await paced({ ...side, rate, seconds: duration, connections, pid: side.pid ?? pid });
    // Requests still queued when the load stops (the embedded database serves one query at a
    // time) would otherwise be measured as the next run's latency: one more request waits them out.
    await fetch(side.url, {
      method: side.method ?? "GET",
      headers: { ...side.headers, ...(side.body ? { "content-type": "application/json" } : {}) },
      ...(side.body ? { body: side.body } : {}),
    }).then((res) => res.arrayBuffer());
    return result;
  };
  for (const side of sides) await run(side, Math.min(2, seconds));
  const results: LoadResult[][] = sides.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, side] of sides.entries()) results[i]?.push(await run(side, seconds));
  }
  return results.map((all) => ({
    rps: median(all.map((r) => r.rps)),
    p50: median(all.map((r) => r.p50)),
    p99: median(all.map((r) => r.p99)),
    requests: all.reduce((sum, r) => sum + r.requests, 0),
    failures: all.reduce((sum, r) => sum + r.failures, 0),
    cpuUs: median(all.map((r) => r.cpuUs)),
    late: all.reduce((sum, r) => sum + (r.late ?? 0), 0),
    rounds: all,
  }));
}
