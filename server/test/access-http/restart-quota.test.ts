import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { eventually, type ServerProcess, startServerProcess, waitReady } from "./processes";

// The embedded default (no REDIS_URL): quotas live in this process, the usage history in PGlite.
const dataDir = mkdtempSync(join(tmpdir(), "rapfs-restart-quota-"));
const servers: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

type Window = { policy: string; remaining: number };

describe("the day's quota on the embedded default", () => {
  it("survives a SIGKILL: rows and downloads spent before it are still spent after the restart", async () => {
    const embeddedPort = String(await freePort());
    const env = { RAPFS_DATA_DIR: dataDir, RAPFS_CORPUS_SCALE: "0.005", RAPFS_EMBEDDED_PORT: embeddedPort };
    const first = await startServerProcess("quota-before", env);
    servers.push(first);
    await waitReady(first);
    const signup = await fetch(`${first.url}/v1/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "restart@example.com" }),
    });
    expect(signup.status).toBe(201);
    const { account, key } = (await signup.json()) as { account: { id: string }; key: { key: string } };
    const auth = { authorization: `Bearer ${key.key}` };
    const batch = await fetch(`${first.url}/v1/features/track/batch`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        ids: Array.from({ length: 250 }, (_, i) => i + 1),
        features: ["track_profile:popularity"],
      }),
    });
    expect(batch.status).toBe(200);
    await batch.arrayBuffer();
    const download = await fetch(
      `${first.url}/v1/datasets/public/download?format=csv&limit=10&as_of=2024-06-01T00:00:00Z`,
      {
        headers: auth,
      },
    );
    expect(download.status).toBe(200);
    await download.arrayBuffer();
    const windows = async (server: ServerProcess) => {
      const res = await fetch(`${server.url}/v1/usage`, { headers: auth });
      expect(res.status).toBe(200);
      const { windows } = (await res.json()) as { windows: Window[] };
      return Object.fromEntries(windows.map((w) => [w.policy, w.remaining])) as Record<string, number>;
    };
    // The usage history is written once a second (bytes once the download's body is sent): wait
    // until this account's whole spend is in it.
    const sql = postgres(`postgres://postgres@127.0.0.1:${embeddedPort}/postgres`, {
      max: 1,
      onnotice: () => {},
    });
    let before: Record<string, number> = {};
    try {
      before = await eventually(async () => {
        const now = await windows(first);
        const [row] = await sql<{ rows: string; downloads: string; bytes: string }[]>`
          select rows::text, downloads::text, bytes::text from usage_daily where account_id = ${account.id}`;
        expect(now).toMatchObject({ rows: 10_000 - 250, downloads: 2 });
        expect(row).toEqual({ rows: "250", downloads: "1", bytes: String(2 ** 30 - (now.bytes as number)) });
        return now;
      }, 30_000);
    } finally {
      await sql.end({ timeout: 1 });
    }
    await first.kill();

    const second = await startServerProcess("quota-after", env);
    servers.push(second);
    await waitReady(second);
    const after = await windows(second);
    expect(after.rows).toBe(before.rows);
    expect(after.downloads).toBe(before.downloads);
    expect(after.bytes).toBe(before.bytes);
    // A lookup's RateLimit header counts down from there too.
    const lookup = await fetch(`${second.url}/v1/features/track/1?features=track_profile:popularity`, {
      headers: auth,
    });
    expect(lookup.status).toBe(200);
    expect(lookup.headers.get("ratelimit")).toContain(`"rows";r=${(before.rows ?? 0) - 1}`);
  }, 300_000);
});
