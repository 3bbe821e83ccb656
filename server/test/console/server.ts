import type { RunningServer } from "../../src/runtime/start-server";
import { ADMIN_KEY, startServing } from "../serving/support";

export type ConsoleServer = {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  running: RunningServer;
  adminKey: string;
  close(): Promise<void>;
};

/**
 * The real server as `rapfs start` runs it (scale-0.01 corpus, shipped definitions applied and
 * materialized, dataset routes, in-process limits) on a loopback port: the console is one of its
 * routes, so the browser talks to exactly what users get.
 */
export async function startConsoleServer(): Promise<ConsoleServer> {
  const running = await startServing();
  if (!running.app.routes.some((r) => r.path === "/v1/datasets/:name/download")) {
    await running.shutdown("test setup");
    throw new Error("rapfs start no longer serves the dataset downloads the console offers");
  }
  return { url: running.url, running, adminKey: ADMIN_KEY, close: () => running.shutdown("test done") };
}
