import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parser as promqlParser } from "@prometheus-io/lezer-promql";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { createApp } from "../../src/api/app";
import type { HttpDependencies } from "../../src/api/env";
import { loadConfig } from "../../src/config/env";
import { repoRoot } from "../../src/config/paths";
import { loadDatasetConfig } from "../../src/datasets/config";
import { createMetrics } from "../../src/metrics/registry";

export const repoPath = (...parts: string[]) => join(repoRoot, ...parts);
export const readRepoFile = (...parts: string[]) => readFileSync(repoPath(...parts), "utf8");
export const readYaml = (...parts: string[]): unknown => parseYaml(readRepoFile(...parts));

/** Every document of a multi-document YAML file; a syntax error in any of them throws. */
export function readYamlDocuments(...parts: string[]): unknown[] {
  return parseAllDocuments(readRepoFile(...parts)).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    return doc.toJS();
  });
}

// Runtime variables of Node itself that deployment files may set besides the server's own.
const NODE_RUNTIME_VARIABLES = ["NODE_ENV", "NODE_OPTIONS"];

/**
 * The environment variables the server reads: the keys its config schema asks for (recorded by
 * handing loadConfig an environment that notes every read) plus direct process.env reads.
 */
export function serverEnvironmentVariables(): Set<string> {
  const read = new Set<string>();
  const recorder = new Proxy({} as NodeJS.ProcessEnv, {
    get(_target, key) {
      if (typeof key === "string") read.add(key);
      return undefined;
    },
  });
  loadConfig(recorder);
  loadDatasetConfig(recorder);
  for (const file of sourceFiles(repoPath("server/src"))) {
    for (const match of readFileSync(file, "utf8").matchAll(/process\.env(?:\.(\w+)|\[["'](\w+)["']\])/g)) {
      read.add(match[1] ?? match[2] ?? "");
    }
  }
  return new Set([...read, ...NODE_RUNTIME_VARIABLES]);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(dir, name));
}

/** Defaults as the server applies them, e.g. the port it listens on when PORT is unset. */
export const serverDefaults = () => loadConfig({});

/** The HTTP routes the server registers, as `METHOD path`. */
export function serverRoutes(): Set<string> {
  // Registering routes touches no service; requests are never made against this app.
  const app = createApp({} as HttpDependencies);
  return new Set(app.routes.map((route) => `${route.method} ${route.path}`));
}

/**
 * Every series the server exposes, by name, with its label names: the registry's metrics, and the
 * _bucket/_sum/_count series of histograms (`le` on buckets) and summaries.
 */
export async function exposedSeries(): Promise<Map<string, Set<string>>> {
  const metrics = createMetrics();
  const series = new Map<string, Set<string>>();
  const types = new Map((await metrics.registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
  for (const metric of metrics.registry.getMetricsAsArray()) {
    const { name, labelNames = [] } = metric as unknown as { name: string; labelNames?: string[] };
    const labels = new Set(labelNames);
    series.set(name, labels);
    const type = types.get(name);
    if (type === "histogram") {
      series.set(`${name}_bucket`, new Set([...labels, "le"]));
      for (const suffix of ["_sum", "_count"]) series.set(name + suffix, labels);
    }
    if (type === "summary") for (const suffix of ["_sum", "_count"]) series.set(name + suffix, labels);
  }
  metrics.registry.clear();
  return series;
}

/** Series Prometheus writes for every scrape target itself (not exposed by the server). */
export const PROMETHEUS_SYNTHETIC_SERIES = new Set([
  "up",
  "scrape_duration_seconds",
  "scrape_samples_scraped",
  "scrape_samples_post_metric_relabeling",
  "scrape_series_added",
]);

// Grafana replaces these before the query reaches Prometheus.
const GRAFANA_VARIABLES: Record<string, string> = {
  __rate_interval: "1m",
  __interval: "15s",
  __range: "1h",
  __range_s: "3600",
  __interval_ms: "15000",
};

/** A Grafana query with its variables replaced, as Prometheus would receive it. */
export function interpolateGrafanaQuery(expr: string, variables: Record<string, string> = {}): string {
  const values = { ...GRAFANA_VARIABLES, ...variables };
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (match, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? "";
    const value = values[name];
    if (value === undefined) throw new Error(`unknown Grafana variable ${match} in: ${expr}`);
    return value;
  });
}

export type PromqlSelector = { metric: string; labels: string[] };
export type PromqlAnalysis = { errors: string[]; selectors: PromqlSelector[]; groupingLabels: string[] };

/**
 * Parses PromQL with Prometheus' own grammar (@prometheus-io/lezer-promql): syntax errors with
 * their position, every vector selector's metric name (`name{...}` or `{__name__="name"}`) and
 * matched labels, and the labels of every `by (...)`/`on (...)` clause.
 */
export function analyzePromql(expr: string): PromqlAnalysis {
  const errors: string[] = [];
  const selectors: PromqlSelector[] = [];
  const groupingLabels: string[] = [];
  const text = (node: { from: number; to: number }) => expr.slice(node.from, node.to);
  promqlParser.parse(expr).iterate({
    enter(ref) {
      if (ref.type.isError)
        errors.push(`syntax error at ${ref.from}: ${JSON.stringify(expr.slice(ref.from, ref.from + 20))}`);
      if (ref.name === "GroupingLabels") {
        for (const label of ref.node.getChildren("LabelName")) groupingLabels.push(text(label));
      }
      if (ref.name !== "VectorSelector") return;
      const identifier = ref.node.getChild("Identifier");
      const labels: string[] = [];
      let metric = identifier ? text(identifier) : "";
      for (const matcher of ref.node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []) {
        const name = matcher.getChild("LabelName");
        if (!name) continue;
        if (text(name) === "__name__")
          metric = JSON.parse(text(matcher.getChild("StringLiteral") ?? name)) as string;
        else labels.push(text(name));
      }
      selectors.push({ metric, labels });
    },
  });
  return { errors, selectors, groupingLabels };
}

/** Labels Prometheus attaches to every scraped series. */
export const TARGET_LABELS = ["job", "instance"];

/**
 * Problems of one PromQL expression against the server's series: syntax errors, metric names the
 * server does not expose, labels those metrics do not have.
 */
export function promqlProblems(expr: string, series: Map<string, Set<string>>): string[] {
  const { errors, selectors, groupingLabels } = analyzePromql(expr);
  const problems = [...errors];
  const known = new Set(TARGET_LABELS);
  for (const { metric, labels } of selectors) {
    if (PROMETHEUS_SYNTHETIC_SERIES.has(metric)) continue;
    const metricLabels = series.get(metric);
    if (!metricLabels) {
      problems.push(`unknown metric ${metric}`);
      continue;
    }
    for (const label of metricLabels) known.add(label);
    for (const label of labels) {
      if (!metricLabels.has(label) && !TARGET_LABELS.includes(label))
        problems.push(`${metric} has no label ${label}`);
    }
  }
  for (const label of groupingLabels) {
    if (!known.has(label)) problems.push(`no metric in the query has the label ${label}`);
  }
  return problems;
}
