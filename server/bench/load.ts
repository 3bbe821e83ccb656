import autocannon from "autocannon";

export type LoadOptions = {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  seconds: number;
  connections: number;
};

export type LoadResult = { rps: number; p50: number; p99: number; requests: number; failures: number };

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/**
 * Drives `url` with autocannon for a fixed time. Latencies are collected per response in
 * fractional milliseconds: autocannon's own histogram rounds to whole ms, too coarse for 2 ms targets.
 */
export function load(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: options.method ?? "GET",
        headers: { ...options.headers, ...(options.body ? { "content-type": "application/json" } : {}) },
        ...(options.body ? { body: options.body } : {}),
        connections: options.connections,
        duration: options.seconds,
        // A slow workload is measured, not cut off: its latencies are the figure.
        timeout: 120,
      },
      (error, result) => {
        if (error) return reject(error);
        const sorted = latencies.sort((a, b) => a - b);
        resolve({
          rps: latencies.length / options.seconds,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          requests: result.requests.total,
          failures: failures + result.errors + result.timeouts,
        });
      },
    );
    instance.on("response", (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) latencies.push(responseTime);
      else failures++;
    });
  });
}
