import { readFileSync } from "node:fs";

/** One side's load: closed-loop (load.ts) or, with a rate, paced (paced.ts). */
export type LoadOptions = {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  seconds: number;
  connections: number;
  /** The server's pid, to report its CPU time per request. */
  pid?: number | undefined;
  /** Closed-loop load only: each request's own path and body (e.g. random ids), else `url`'s. */
  next?: () => { path: string; body?: string };
};

export type LoadResult = {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  failures: number;
  /** Server CPU per answered request in µs (NaN without a pid): less noisy than throughput. */
  cpuUs: number;
  /** Paced load only: requests whose generator timer fired over 1 ms late (its own lag, left out). */
  late?: number;
};

export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/** A process's CPU seconds so far (Linux /proc; 10 ms ticks, fine over thousands of requests). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
