import type { ReadinessReport } from "../health/readiness";
import type { Services } from "./context";

/** GET /ready: the dependencies' checks, one run reused for a second. */
export const readiness = (services: Services): Promise<ReadinessReport> => services.readiness.run();

/** GET /metrics: the Prometheus exposition. */
export async function metricsExposition(services: Services): Promise<{ contentType: string; text: string }> {
  const { registry } = services.metrics;
  return { contentType: registry.contentType, text: await registry.metrics() };
}
