import { loadConfig } from "../config/env";
import { createLogger } from "../log/logger";
import { createMetrics } from "../metrics/registry";
import { createApp } from "./app";
import type { App, Services } from "./env";
import { OPENAPI_PATH } from "./routes/docs";
import { servingRoutes } from "./routes/v1";

/**
 * The OpenAPI document a running server serves at /openapi.json, produced without a database:
 * the app is built over services that only the request middleware touches (logger, metrics), and
 * the document route is asked in-process. The SDK generates its types from this.
 */
export async function openApiDocument(
  routes: Array<(app: App) => void> = servingRoutes,
): Promise<Record<string, unknown>> {
  const services = {
    config: loadConfig({ LOG_LEVEL: "silent" }),
    logger: createLogger("silent"),
    metrics: createMetrics({ defaultMetrics: false }),
  } as Services;
  const app = createApp(services, { routes });
  const response = await app.request(OPENAPI_PATH);
  if (!response.ok) throw new Error(`${OPENAPI_PATH} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}
