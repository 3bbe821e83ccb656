import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noProgress } from "../../src/log/progress";
import { type RunningServer, startServer } from "../../src/runtime/start-server";
import { capturingLogger, testConfig } from "../api/harness";
import { readYaml, repoPath } from "./support";

/** Prometheus' own checker, from Debian's `prometheus` package (.ci/run installs it). */
const promtool = spawnSync("promtool", ["--version"]).status === 0;
// .ci/run installs promtool, so in CI a missing one fails the suite instead of skipping silently.
if (!promtool && process.env.CI)
  throw new Error("promtool is not on PATH; .ci/run installs Debian's prometheus");
const title = promtool
  ? "promtool"
  : "promtool (SKIPPED: promtool is not on PATH; `apt-get install prometheus` provides it, as .ci/run does)";

function run(args: string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { cwd: repoPath(), input, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("deploy/prometheus/alerts.test.yml", () => {
  it("has a test case for every alert firing and one for it staying quiet", () => {
    const cases = readTestCases();
    for (const alert of readAlerts()) {
      const own = cases.filter((c) => c.alertname === alert);
      expect(
        own.some((c) => c.firing),
        `${alert} fires in a test`,
      ).toBe(true);
      expect(
        own.some((c) => !c.firing),
        `${alert} stays quiet in a test`,
      ).toBe(true);
    }
  });
});

describe.skipIf(!promtool)(title, () => {
  it("accepts the alert rules (check rules)", () => {
    const { status, output } = run(["check", "rules", "deploy/prometheus/alerts.yml"]);
    expect(status, output).toBe(0);
  });

  it("passes the rules' unit tests: every alert fires on its condition and stays quiet otherwise", () => {
    const { status, output } = run(["test", "rules", "deploy/prometheus/alerts.test.yml"]);
    expect(status, output).toBe(0);
  });

  describe("the server's /metrics", () => {
    let server: RunningServer;
    beforeAll(async () => {
      const { logger } = capturingLogger();
      server = await startServer({
        config: { ...testConfig(), host: "127.0.0.1", port: 0 },
        logger,
        handleSignals: false,
        progress: noProgress,
        prepare: async () => ({}),
      });
      await server.prepared;
    });
    afterAll(async () => {
      await server?.shutdown("test done");
    });

    it("passes promtool check metrics (no gauge named _total, valid names and help)", async () => {
      // Series of every kind present: requests, a materialization, the near cache's counters.
      await fetch(`${server.url}/ready`);
      await fetch(`${server.url}/no/such/route`);
      server.services.metrics.materializationRuns.inc({ view: "v@1", mode: "full", outcome: "succeeded" });
      server.services.metrics.markMaterialized("v@1");
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain("rapfs_nodejs_active_handles");
      expect(text).not.toMatch(/^rapfs_nodejs_active_\w+_total/m);
      const { status, output } = run(["check", "metrics"], text);
      expect(status, output).toBe(0);
    });
  });
});

function readAlerts(): Set<string> {
  const rules = readYaml("deploy/prometheus/alerts.yml") as {
    groups: Array<{ rules: Array<{ alert?: string }> }>;
  };
  return new Set(rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))));
}

function readTestCases(): { alertname: string; firing: boolean }[] {
  const file = readYaml("deploy/prometheus/alerts.test.yml") as {
    tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
  };
  return file.tests.flatMap((t) =>
    (t.alert_rule_test ?? []).map((c) => ({
      alertname: c.alertname,
      firing: (c.exp_alerts ?? []).length > 0,
    })),
  );
}
