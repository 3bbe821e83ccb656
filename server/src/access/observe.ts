import { Gauge, type Registry } from "prom-client";
import type { Readiness } from "../runtime/readiness";
import type { LimiterBackend } from "./limiter";
import type { AccessServices } from "./services";

const BACKENDS: readonly LimiterBackend[] = ["redis", "insurance", "memory"];

/**
 * Where quota decisions come from, for operators: the `rapfs_limiter_backend` gauge (1 on the
 * current backend) and a non-critical `limiter` readiness check that reports the insurance mode,
 * in which each process limits on its own until Redis is back.
 */
export function observeAccess(access: AccessServices, registry: Registry, readiness: Readiness): void {
  new Gauge({
    name: "rapfs_limiter_backend",
    help: "1 for where rate limits and quotas are decided: redis (shared), insurance (Redis down, per process) or memory (no Redis)",
    labelNames: ["backend"] as const,
    registers: [registry],
    collect() {
      for (const backend of BACKENDS) this.set({ backend }, access.limiter.backend === backend ? 1 : 0);
    },
  });
  readiness.register({
    name: "limiter",
    critical: false,
    check: async () => {
      if (access.limiter.backend === "insurance") {
        throw new Error("Redis is unreachable: quotas are enforced per process until it is back");
      }
    },
  });
}
