import { Counter, Gauge, type Registry } from "prom-client";
import type { BackendHolds, HoldStats } from "../db/embedded";

export type BackendHoldSource = { holds(options: { reset: boolean }): Promise<BackendHolds> };

/**
 * How long connections held the embedded database's one backend, by work class: what every other
 * request may have waited behind. Read from the worker at scrape time, as the interval since the
 * last scrape; bulk work is sliced so that its longest hold stays near 40 ms.
 */
export function registerEmbeddedBackend(
  registry: Registry,
  source: () => BackendHoldSource | undefined,
): void {
  let interval: Promise<BackendHolds | undefined> | undefined;
  let readAt = 0;
  // One read (and reset) of the worker per scrape, shared by the series below.
  const read = () => {
    const from = source();
    if (!interval || performance.now() - readAt > 1_000) {
      readAt = performance.now();
      interval = from ? from.holds({ reset: true }).catch(() => undefined) : Promise.resolve(undefined);
    }
    return interval;
  };
  const classes = ["interactive", "bulk"] as const;
  const counter = (name: string, help: string, value: (stats: HoldStats) => number) =>
    new Counter({
      name,
      help,
      labelNames: ["class"] as const,
      registers: [registry],
      async collect() {
        const holds = await read();
        if (holds) for (const c of classes) this.inc({ class: c }, value(holds[c]));
      },
    });
  counter(
    "rapfs_embedded_backend_holds_total",
    "Times a connection took and gave back the embedded database's one backend, by work class",
    (s) => s.count,
  );
  counter(
    "rapfs_embedded_backend_hold_seconds_total",
    "Time connections held the embedded database's one backend, by work class",
    (s) => s.total_ms / 1000,
  );
  counter(
    "rapfs_embedded_backend_long_holds_total",
    "Holds of the embedded database's one backend longer than 100 ms, by work class",
    (s) => s.over_100ms,
  );
  counter(
    "rapfs_embedded_backend_waits_total",
    "Times a connection waited for the embedded database's one backend, held by another, by work class",
    (s) => s.waits,
  );
  counter(
    "rapfs_embedded_backend_wait_seconds_total",
    "Time connections waited for the embedded database's one backend, by work class",
    (s) => s.wait_ms / 1000,
  );
  new Gauge({
    name: "rapfs_embedded_backend_wait_max_seconds",
    help: "The longest wait for the embedded database's one backend since the previous scrape, by work class",
    labelNames: ["class"] as const,
    registers: [registry],
    async collect() {
      const holds = await read();
      if (!holds) return;
      for (const c of classes) this.set({ class: c }, holds[c].wait_max_ms / 1000);
    },
  });
  new Gauge({
    name: "rapfs_embedded_backend_hold_max_seconds",
    help: "The longest hold of the embedded database's one backend since the previous scrape, by work class",
    labelNames: ["class"] as const,
    registers: [registry],
    async collect() {
      const holds = await read();
      if (!holds) return;
      for (const c of classes) this.set({ class: c }, holds[c].max_ms / 1000);
    },
  });
}
