import { createApp } from "../api/app";
import type { App, RegisterRoutes } from "../api/env";
import { datasetRoutes } from "../api/routes/datasets";
import { OPENAPI_PATH, openApiDocumentConfig } from "../api/routes/docs";
import { servingRoutes } from "../api/routes/v1";
import { loadConfig } from "../config/env";
import { loadDatasetConfig } from "../datasets/config";
import { createDatasetServices } from "../datasets/dataset-services";
import { createLogger } from "../log/logger";
import { createMetrics } from "../metrics/registry";
import { createUseCases, type Services } from "../usecases";

/**
 * The OpenAPI document a running server serves at /openapi.json, produced without a database:
 * the app is built over services that only the request middleware touches (logger, metrics), and
 * the document route is asked in-process. The routes are startServer's; limits that appear in
 * descriptions take their defaults, not this process's environment.
 */
export async function openApiDocument(routes?: RegisterRoutes[]): Promise<Record<string, unknown>> {
  return withApp(routes, async (app) => {
    const response = await app.request(OPENAPI_PATH);
    if (!response.ok)
      throw new Error(`${OPENAPI_PATH} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  });
}

/**
 * The same document before the server spells out each schema's `type` for Scalar
 * (api/docs/explicit-types.ts): what the SDK's types are generated from, where openapi-typescript
 * reads a typeless schema as `unknown` and the spelled-out list as a union with Record<string, never>.
 */
export async function openApiDocumentForTypes(routes?: RegisterRoutes[]): Promise<Record<string, unknown>> {
  return withApp(
    routes,
    async (app) => app.getOpenAPI31Document(openApiDocumentConfig) as unknown as Record<string, unknown>,
  );
}

async function withApp<T>(routes: RegisterRoutes[] | undefined, use: (app: App) => Promise<T>): Promise<T> {
  // Nothing is downloaded, so no spool directory or Redis connection is ever made.
  const datasets = createDatasetServices({ config: loadDatasetConfig({}) });
  const services = {
    config: loadConfig({ LOG_LEVEL: "silent" }),
    logger: createLogger("silent"),
    metrics: createMetrics({ defaultMetrics: false }),
    datasets,
  } as Services;
  const deps = { useCases: createUseCases(services), logger: services.logger, metrics: services.metrics };
  const app = createApp(deps, { routes: routes ?? [...servingRoutes, ...datasetRoutes] });
  try {
    return await use(app);
  } finally {
    await datasets.close();
  }
}
