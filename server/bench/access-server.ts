/**
 * The access benchmark's server process: the real app (buildServices + createApp, so the real
 * guard, limiter and verifier) over an in-memory PGlite, with one trivial handler mounted twice —
 * under /v1/features (key, scope, request rate and one row checked) and outside /v1 (open).
 * Prints one JSON line with its URL and a key once it listens.
 */
import { serve } from "@hono/node-server";
import { loadAccessConfig } from "../src/access/config";
import { createApp } from "../src/api/app";
import type { App } from "../src/api/env";
import { loadConfig } from "../src/config/env";
import { openDatabase } from "../src/db/database";
import { IN_MEMORY } from "../src/db/embedded";
import { migrate } from "../src/db/migrate";
import { openReadRouter } from "../src/db/replica";
import { silentLogger } from "../src/log/logger";
import { buildServices } from "../src/runtime/compose";

const config = loadConfig(process.env);
const database = await openDatabase({ dataDir: IN_MEMORY });
await migrate(database.sql, config.migrationsDir);
const accessConfig = loadAccessConfig(process.env);
const built = await buildServices({
  config,
  logger: silentLogger,
  database,
  accessConfig,
  reads: await openReadRouter({ primary: database.sql }),
});
const { access } = built.services;

// About the size of one track × 50 features.
const payload = {
  entity: "track",
  id: 42,
  features: Object.fromEntries(
    Array.from({ length: 50 }, (_, i) => [`view@1:feature_${i}`, { value: i / 7, status: "present" }]),
  ),
};
function registerBenchRoutes(app: App): void {
  app.get("/bench/features/:entity/:id", (c) => c.json(payload, 200));
  app.get("/v1/features/:entity/:id", (c) => c.json(payload, 200));
}
const app = createApp(
  { useCases: built.useCases, logger: silentLogger, metrics: built.services.metrics },
  { routes: [registerBenchRoutes] },
);

const account = await access.accounts.create({ email: "bench@example.com", tier: "bench" });
const { key } = await access.keys.create(account.id, { scopes: ["features:read"] });
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
await new Promise<void>((resolve) => server.once("listening", () => resolve()));
const address = server.address();
const port = typeof address === "object" && address ? address.port : 0;
process.stdout.write(
  `${JSON.stringify({ url: `http://127.0.0.1:${port}`, key, limiter: access.limiter.backend })}\n`,
);

process.once("SIGTERM", async () => {
  server.close();
  await built.close();
  await database.close();
  process.exit(0);
});
