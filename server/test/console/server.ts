import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAdaptorServer } from "@hono/node-server";
import { createApp } from "../../src/api/app";
import type { App } from "../../src/api/env";
import { datasetRoutes } from "../../src/api/routes/datasets";
import { servingRoutes } from "../../src/api/routes/v1";
import { loadDatasetConfig } from "../../src/datasets/config";
import { createDatasetServices } from "../../src/datasets/services";
import type { RunningServer } from "../../src/runtime/start-server";
import { ADMIN_KEY, startServing } from "../serving/support";

export type ConsoleServer = {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  running: RunningServer;
  adminKey: string;
  close(): Promise<void>;
};

const DOWNLOAD_ROUTE = "/v1/datasets/:name/download";
const hasDownloads = (app: App) => app.routes.some((r) => r.path === DOWNLOAD_ROUTE);

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * The real server (startServer: scale-0.01 corpus, shipped definitions applied and materialized,
 * in-process limits) on a loopback port. Where startServer does not serve the dataset routes yet,
 * the same services are served once more by an app that adds them, so the console's downloads
 * run against the real datasets code either way.
 */
export async function startConsoleServer(): Promise<ConsoleServer> {
  const running = await startServing();
  if (hasDownloads(running.app)) {
    return { url: running.url, running, adminKey: ADMIN_KEY, close: () => running.shutdown("test done") };
  }
  const spoolDir = mkdtempSync(join(tmpdir(), "rapfs-console-test-"));
  const datasets = createDatasetServices({ config: loadDatasetConfig({ RAPFS_SPOOL_DIR: spoolDir }) });
  const app = createApp(running.services, { routes: [...servingRoutes, ...datasetRoutes(datasets)] });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    running,
    adminKey: ADMIN_KEY,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await datasets.close();
      await running.shutdown("test done");
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}
