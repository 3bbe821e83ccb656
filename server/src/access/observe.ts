import type { Readiness } from "../health/readiness";
import type { Metrics } from "../metrics/registry";
import type { AccessServices } from "./access-services";

/**
 * Where quota decisions come from, for operators: the `rapfs_limiter_backend` and
 * `rapfs_quota_leased_units` gauges and a
 * non-critical `limiter` readiness check that reports the insurance mode, in which each process
 * limits on its own until Redis is back.
 */
export function observeAccess(access: AccessServices, metrics: Metrics, readiness: Readiness): void {
  metrics.observeLimiter(access.limiter);
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
