import { RapFS } from "@rapfs/sdk";
import { generateKey } from "@rapfs/server/src/access/api-key-format";
import { noProgress } from "@rapfs/server/src/log/progress";
import { type RunningServer, startServer } from "@rapfs/server/src/runtime/start-server";
import { capturingLogger, testConfig } from "@rapfs/server/test/api/harness";
import { preparedDataDir } from "@rapfs/server/test/support/prepared-data";

/** Small but with every analyzer, re-runs and NULL lyrics: a few hundred tracks. */
export const LIVE_SCALE = 0.005;

export type LiveServer = RunningServer & {
  /** The operator key (RAPFS_ADMIN_KEY) the server was started with. */
  adminKey: string;
  /** A client presenting the operator key, without retries so failures show at once. */
  client: RapFS;
};

/**
 * The real server, as `rapfs start` runs it: startServer() on a loopback port over the embedded
 * in-memory database, holding the demo corpus at LIVE_SCALE (or `scale`) with the shipped
 * definitions applied and materialized (prepared once per run and copied, as for the server's own
 * tests).
 */
export async function startLive(
  options: { scale?: number; env?: Record<string, string> } = {},
): Promise<LiveServer> {
  const scale = options.scale ?? LIVE_SCALE;
  const adminKey = generateKey().key;
  const running = await startServer({
    config: { ...testConfig(), host: "127.0.0.1", port: 0, corpus: { scale, seed: 7 } },
    env: { ...process.env, ...options.env, RAPFS_ADMIN_KEY: adminKey },
    logger: capturingLogger().logger,
    handleSignals: false,
    progress: noProgress,
    loadDataDir: await preparedDataDir({ scale, seed: 7 }),
  });
  await running.prepared;
  const client = new RapFS({ baseURL: running.url, apiKey: adminKey, maxRetries: 0 });
  return Object.assign(running, { adminKey, client });
}

/** A fresh free-tier key, signed up as a new user would (POST /v1/signup, no key). */
export async function signupFreeKey(live: LiveServer, email: string): Promise<string> {
  const res = await fetch(`${live.url}/v1/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  });
  if (res.status !== 201) throw new Error(`signup answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { account: { tier: string }; key: { key: string } };
  if (body.account.tier !== "free") throw new Error(`signup gave tier ${body.account.tier}`);
  return body.key.key;
}
