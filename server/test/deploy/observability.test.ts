import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hostPathOf, loadCompose, service } from "./compose";
import {
  analyzePromql,
  exposedSeries,
  interpolateGrafanaQuery,
  promqlProblems,
  readRepoFile,
  readYaml,
  serverRoutes,
} from "./support";

type ScrapeConfig = {
  job_name: string;
  metrics_path?: string;
  static_configs?: Array<{ targets: string[] }>;
  dns_sd_configs?: Array<{ names: string[]; type?: string; port?: number }>;
};
type PrometheusConfig = { global?: object; rule_files?: string[]; scrape_configs: ScrapeConfig[] };
type RuleGroups = {
  groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }>;
};

type Target = { expr?: string; refId?: string; datasource?: { uid?: string } };
type Panel = {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
};
type Dashboard = {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: string | { query: string }; allValue?: string }> };
};

const compose = loadCompose();
const prometheusService = service(compose, "prometheus");
const grafanaService = service(compose, "grafana");
const series = await exposedSeries();

/** The repository file behind a path inside a compose container. */
function mounted(svc: Parameters<typeof hostPathOf>[0], containerPath: string): string {
  const host = hostPathOf(svc, containerPath);
  if (!host) throw new Error(`${containerPath} is not mounted from the repository`);
  return host;
}

const prometheusConfigPath = () => {
  const flag = prometheusService.command?.find((arg) => arg.startsWith("--config.file="));
  return mounted(prometheusService, flag?.split("=")[1] ?? "/etc/prometheus/prometheus.yml");
};
const prometheus = readYaml("deploy/prometheus/prometheus.yml") as PrometheusConfig;

describe("Prometheus configuration", () => {
  it("is the file the compose service starts with", () => {
    expect(prometheusConfigPath()).toMatch(/deploy\/prometheus\/prometheus\.yml$/);
  });

  it("scrapes every rapfs replica on the server's port and metrics path", () => {
    const job = prometheus.scrape_configs.find((config) => config.job_name === "rapfs");
    expect(job).toBeDefined();
    const path = job?.metrics_path ?? "/metrics";
    expect(serverRoutes()).toContain(`GET ${path}`);
    const port = String(service(compose, "rapfs").environment?.PORT);
    const targets = [
      ...(job?.static_configs ?? []).flatMap((config) => config.targets),
      ...(job?.dns_sd_configs ?? []).flatMap((config) =>
        config.names.map((name) => `${name}:${config.port}`),
      ),
    ];
    expect(targets).toEqual([`rapfs:${port}`]);
  });

  it("loads rule files that are mounted from the repository", () => {
    expect(prometheus.rule_files?.length).toBeGreaterThan(0);
    for (const file of prometheus.rule_files ?? [])
      expect(existsSync(mounted(prometheusService, file)), file).toBe(true);
  });

  const rules = readYaml("deploy/prometheus/alerts.yml") as RuleGroups;
  const allRules = rules.groups.flatMap((group) => group.rules);
  it.each(allRules.map((rule) => [rule.alert ?? rule.record ?? "?", rule.expr]))(
    "rule %s is valid PromQL over the server's metrics",
    (_name, expr) => {
      expect(promqlProblems(expr, series)).toEqual([]);
    },
  );
});

const datasources = readYaml("deploy/grafana/provisioning/datasources/prometheus.yml") as {
  datasources: Array<{ uid: string; type: string; url: string }>;
};
const providers = readYaml("deploy/grafana/provisioning/dashboards/rapfs.yml") as {
  providers: Array<{ type: string; options: { path: string } }>;
};
const dashboard = JSON.parse(readRepoFile("deploy/grafana/dashboards/rapfs.json")) as Dashboard;
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
const queryPanels = panels.filter((panel) => panel.type !== "row");
const variableValues = Object.fromEntries(
  dashboard.templating.list.map((variable) => [variable.name, variable.allValue ?? ".*"]),
);

describe("Grafana provisioning", () => {
  it("provisions the Prometheus of the compose file", () => {
    const [datasource] = datasources.datasources;
    expect(datasource?.type).toBe("prometheus");
    const url = new URL(datasource?.url ?? "");
    expect(compose.services).toHaveProperty(url.hostname);
    expect(url.port).toBe("9090");
  });

  it("loads dashboards from a folder mounted from deploy/grafana/dashboards", () => {
    const [provider] = providers.providers;
    expect(provider?.type).toBe("file");
    const folder = mounted(grafanaService, provider?.options.path ?? "");
    expect(existsSync(`${folder}/rapfs.json`)).toBe(true);
    const home = String(grafanaService.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH);
    expect(readFileSync(mounted(grafanaService, home), "utf8")).toBe(
      readRepoFile("deploy/grafana/dashboards/rapfs.json"),
    );
  });
});

describe("Grafana dashboard", () => {
  it("has a stable uid, unique panel ids and panels inside the 24-column grid", () => {
    expect(dashboard.uid).toBe("rapfs-overview");
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { title, gridPos } of panels) {
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      expect(gridPos.w * gridPos.h, title).toBeGreaterThan(0);
    }
  });

  it("queries only the provisioned datasource", () => {
    const uid = datasources.datasources[0]?.uid;
    for (const panel of queryPanels) {
      expect(panel.datasource?.uid, panel.title).toBe(uid);
      for (const target of panel.targets ?? []) expect(target.datasource?.uid ?? uid, panel.title).toBe(uid);
    }
  });

  it("shows latency percentiles, request and error rates, cache hits, freshness, materializations and quotas", () => {
    const everything = queryPanels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => target.expr ?? ""),
    );
    const uses = (fragment: string) => everything.some((expr) => expr.includes(fragment));
    for (const quantile of ["0.5", "0.95", "0.99"]) {
      expect(
        uses(`histogram_quantile(${quantile}, sum by (le) (rate(rapfs_http_request_duration_seconds_bucket`),
      ).toBe(true);
    }
    expect(uses('status=~"5.."')).toBe(true);
    for (const metric of [
      "rapfs_http_requests_total",
      "rapfs_online_cache_lookups_total",
      "rapfs_feature_last_materialized_timestamp_seconds",
      "rapfs_materialization_runs_total",
      "rapfs_quota_rejections_total",
    ]) {
      expect(uses(metric), metric).toBe(true);
    }
  });

  const targets = queryPanels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => [`${panel.title} ${target.refId}`, target.expr ?? ""] as const),
  );
  it.each(targets)("%s is valid PromQL over the server's metrics and labels", (_title, expr) => {
    expect(promqlProblems(interpolateGrafanaQuery(expr, variableValues), series)).toEqual([]);
  });

  it("has template variables that read existing series", () => {
    for (const variable of dashboard.templating.list) {
      const query = typeof variable.query === "string" ? variable.query : (variable.query?.query ?? "");
      const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(query) ?? [];
      expect(metric && series.get(metric)?.has(label ?? ""), query).toBe(true);
    }
  });
});

describe("docs/operations.md", () => {
  it("names only metrics the server exposes", () => {
    const named = [...readRepoFile("docs/operations.md").matchAll(/`(rapfs_[a-z_]+)`/g)].map(
      (m) => m[1] ?? "",
    );
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((name) => !series.has(name))).toEqual([]);
  });
});

describe("the PromQL check", () => {
  it("catches unknown metrics, unknown labels and syntax errors", () => {
    expect(promqlProblems("sum(rate(rapfs_http_requests_totl[5m]))", series)).toEqual([
      "unknown metric rapfs_http_requests_totl",
    ]);
    expect(promqlProblems('rapfs_http_requests_total{status_code="500"}', series)).toEqual([
      "rapfs_http_requests_total has no label status_code",
    ]);
    expect(promqlProblems("sum by (tenant) (rapfs_quota_rejections_total)", series)).toEqual([
      "no metric in the query has the label tenant",
    ]);
    expect(
      promqlProblems("histogram_quantil(0.5, rapfs_http_request_duration_seconds_bucket)", series),
    ).not.toEqual([]);
    expect(analyzePromql('{__name__="rapfs_online_store_up"}').selectors).toEqual([
      { metric: "rapfs_online_store_up", labels: [] },
    ]);
  });

  it("accepts histogram series, Prometheus' own `up` and target labels", () => {
    const expr =
      'sum by (le, instance) (rate(rapfs_http_request_duration_seconds_bucket{job="rapfs"}[5m])) and on (instance) up';
    expect(promqlProblems(expr, series)).toEqual([]);
  });
});
