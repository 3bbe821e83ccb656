import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startServerProcess, waitReady } from "../access-http/processes";
import { OVERLOAD_SCALE, overloadEnv } from "../support/overload";
import { preparedServerData, serverDataCopy } from "../support/server-data";

/**
 * An operator's restore: the data directory of a server stopped cleanly, copied elsewhere (a
 * backup put back, a volume moved to another host), starts on its own: ready on the corpus it
 * holds, not generated or materialized again, and serving it. The directory is the one the
 * overload test starts on (support/server-data.ts), so this file, in the fault group, also
 * prepares it while that group's other files wait on their faults, and the load group finds it.
 */
describe("a data directory copied after a clean stop (a restored backup)", () => {
  it("starts ready on the corpus it holds, serves it, and leaves the original as it was", async () => {
    const env = overloadEnv(OVERLOAD_SCALE);
    const original = await preparedServerData("overload", env);
    const copy = await serverDataCopy("overload", env);
    const server = await startServerProcess("restored", { ...env, RAPFS_DATA_DIR: copy, LOG_LEVEL: "info" });
    try {
      await waitReady(server);
      const output = server.output();
      expect(output).toMatch(/"msg":"using the existing corpus"/);
      expect(output).not.toMatch(/"msg":"first start: generating the demo corpus"/);
      expect(output).not.toMatch(/uncaught|"level":"error"|not shut down cleanly/);

      const signup = await fetch(`${server.url}/v1/signup`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": "10.0.0.1" },
        body: JSON.stringify({ email: "restored@example.com" }),
      });
      expect(signup.status).toBe(201);
      const { key } = ((await signup.json()) as { key: { key: string } }).key;
      const lookup = await fetch(`${server.url}/v1/features/track/1?service=hit_predictor`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(lookup.status).toBe(200);
      const body = (await lookup.json()) as { features: Record<string, { status: string }> };
      expect(Object.values(body.features).filter((f) => f.status === "present").length).toBeGreaterThan(0);
    } finally {
      await server.stop();
      rmSync(copy, { recursive: true, force: true });
    }
    expect(server.output()).toMatch(/"msg":"stopped"/);
    expect(existsSync(join(original, "rapfs.lock"))).toBe(false);
  }, 300_000);
});
