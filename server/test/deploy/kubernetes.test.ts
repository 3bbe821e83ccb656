import { readdirSync } from "node:fs";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig } from "../../src/config/env";
import { loadDatasetConfig } from "../../src/datasets/config";
import { args, instructionsOf, parseDockerfile, stages } from "./dockerfile";
import { readYaml, readYamlDocuments, repoPath, serverEnvironmentVariables, serverRoutes } from "./support";

// Validators generated from the Kubernetes OpenAPI spec (kubernetes-models, compiled with ajv).
const MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
};
const dir = "deploy/k8s";
const files = readdirSync(repoPath(dir)).filter(
  (file) => file.endsWith(".yaml") && file !== "kustomization.yaml",
);
const manifests = files.flatMap((file) =>
  readYamlDocuments(dir, file).map((doc) => ({ file, doc: doc as Manifest })),
);
const byKind = (kind: string) => {
  const found = manifests.filter((m) => m.doc.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]?.doc as unknown;
};

const httpGet = (path: string) =>
  z.object({ httpGet: z.object({ path: z.literal(path), port: z.union([z.string(), z.number()]) }) }).loose();
// The fields that matter to running rapfs safely, on top of the schema validation.
const DeploymentFacts = z.object({
  spec: z.object({
    progressDeadlineSeconds: z.number().min(1200),
    selector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
    template: z.object({
      metadata: z.object({ labels: z.record(z.string(), z.string()) }),
      spec: z.object({
        terminationGracePeriodSeconds: z.number().min(20),
        securityContext: z.object({ runAsNonRoot: z.literal(true), runAsUser: z.number().min(1) }).loose(),
        containers: z.tuple([
          z.object({
            image: z
              .string()
              .regex(/^[\w./-]+:[\w.-]+$/)
              .refine((image) => !image.endsWith(":latest")),
            ports: z.array(z.object({ name: z.string(), containerPort: z.number() }).loose()).min(1),
            envFrom: z.tuple([
              z.object({ configMapRef: z.object({ name: z.string() }) }),
              z.object({ secretRef: z.object({ name: z.string() }) }),
            ]),
            resources: z.object({
              requests: z.object({ cpu: z.string(), memory: z.string() }),
              limits: z.object({ memory: z.string() }).loose(),
            }),
            securityContext: z.object({
              runAsNonRoot: z.literal(true),
              allowPrivilegeEscalation: z.literal(false),
              readOnlyRootFilesystem: z.literal(true),
              capabilities: z.object({ drop: z.array(z.literal("ALL")) }),
            }),
            readinessProbe: httpGet("/ready"),
            livenessProbe: httpGet("/health"),
            startupProbe: httpGet("/health").and(
              z.object({ periodSeconds: z.number(), failureThreshold: z.number() }),
            ),
            volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string() })),
          }),
        ]),
        volumes: z.array(z.object({ name: z.string(), emptyDir: z.object({}).loose().optional() }).loose()),
      }),
    }),
  }),
});

const deployment = DeploymentFacts.parse(byKind("Deployment"));
const pod = deployment.spec.template.spec;
const [container] = pod.containers;
const configMap = byKind("ConfigMap") as Manifest & { data: Record<string, string> };
const secret = byKind("Secret") as Manifest & { stringData: Record<string, string> };
const service = byKind("Service") as Manifest & {
  spec: { selector: Record<string, string>; ports: Array<{ targetPort: string | number }> };
};
const hpa = byKind("HorizontalPodAutoscaler") as Manifest & {
  spec: {
    minReplicas: number;
    scaleTargetRef: { kind: string; name: string };
    metrics: Array<{ resource?: { name: string } }>;
  };
};
const pdb = byKind("PodDisruptionBudget") as Manifest & {
  spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } };
};
const containerPort = (ref: string | number) =>
  typeof ref === "number" ? ref : container.ports.find((port) => port.name === ref)?.containerPort;

describe("Kubernetes manifests", () => {
  it.each(manifests.map((m) => [`${m.file} ${m.doc.kind}`, m.doc]))(
    "%s is valid against the Kubernetes API schema",
    (_name, doc) => {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model, `no schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
      expect(() => new (Model as NonNullable<typeof Model>)(doc as never).validate()).not.toThrow();
      expect(doc.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    },
  );

  it("are all listed by kustomization.yaml except the example Secret", () => {
    const kustomization = readYaml(dir, "kustomization.yaml") as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(
      files.filter((f) => f !== "secret.example.yaml").sort(),
    );
  });

  it("probe readiness on /ready and liveness on /health, routes the server has, on its port", () => {
    const routes = serverRoutes();
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
      expect(routes).toContain(`GET ${probe.httpGet.path}`);
      expect(containerPort(probe.httpGet.port)).toBe(Number(configMap.data.PORT));
    }
  });

  it("give a start time for migrations behind another replica's lock, and a first start time to roll out", () => {
    const { periodSeconds, failureThreshold } = container.startupProbe;
    expect(periodSeconds * failureThreshold).toBeGreaterThanOrEqual(300);
    expect(deployment.spec.progressDeadlineSeconds).toBeGreaterThanOrEqual(1200);
  });

  it("run as the image's non-root user with a read-only root and a writable /tmp", () => {
    const dockerUser = args(
      instructionsOf(stages(parseDockerfile()).at(-1) as never, "USER").at(-1) as never,
    )[0];
    expect(String(pod.securityContext.runAsUser)).toBe(dockerUser?.split(":")[0]);
    const tmp = container.volumeMounts.find((mount) => mount.mountPath === "/tmp");
    expect(pod.volumes.find((volume) => volume.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  it("bound the download spool and size /tmp's emptyDir above the bound (256Mi was two large downloads)", () => {
    const maxBytes = loadDatasetConfig(configMap.data).spoolMaxBytes;
    expect(maxBytes).toBeGreaterThan(0);
    const tmp = container.volumeMounts.find((mount) => mount.mountPath === "/tmp");
    const limit = String(
      (pod.volumes.find((volume) => volume.name === tmp?.name)?.emptyDir as { sizeLimit?: string })
        ?.sizeLimit,
    );
    const units: Record<string, number> = { Mi: 2 ** 20, Gi: 2 ** 30 };
    const [, amount, unit] = /^(\d+)(Mi|Gi)$/.exec(limit) ?? [];
    // The bound, plus the downloads admitted just under it growing to the largest (~0.55 GB each).
    const concurrency = loadDatasetConfig(configMap.data).concurrentDownloads;
    expect(Number(amount) * (units[unit ?? ""] ?? Number.NaN)).toBeGreaterThan(
      maxBytes + concurrency * 0.55e9,
    );
  });

  it("configure the server only with variables it reads, and values it accepts", () => {
    const known = serverEnvironmentVariables();
    const keys = [...Object.keys(configMap.data), ...Object.keys(secret.stringData)];
    expect(keys.filter((key) => !known.has(key))).toEqual([]);
    const config = loadConfig({ ...configMap.data, ...secret.stringData });
    expect(config.databaseUrl).toMatch(/^postgres:\/\//);
    expect(config.redisUrl).toMatch(/^redis:\/\//);
    expect(container.envFrom[0].configMapRef.name).toBe(configMap.metadata.name);
    expect(container.envFrom[1].secretRef.name).toBe(secret.metadata.name);
  });

  it("keep credentials out of the ConfigMap and only placeholders in the example Secret", () => {
    expect(Object.keys(configMap.data)).not.toContain("DATABASE_URL");
    expect(Object.keys(configMap.data)).not.toContain("REDIS_URL");
    for (const value of Object.values(secret.stringData)) expect(value).toContain("CHANGE_ME");
  });

  it("select the Deployment's pods from the Service and the PodDisruptionBudget", () => {
    const podLabels = deployment.spec.template.metadata.labels;
    for (const selector of [
      deployment.spec.selector.matchLabels,
      service.spec.selector,
      pdb.spec.selector.matchLabels,
    ]) {
      for (const [key, value] of Object.entries(selector)) expect(podLabels[key], key).toBe(value);
    }
    expect(containerPort(service.spec.ports[0]?.targetPort ?? "")).toBe(Number(configMap.data.PORT));
  });

  it("autoscale the Deployment on CPU, which needs a CPU request, and keep a pod through disruptions", () => {
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: "rapfs" });
    expect(hpa.spec.metrics.map((metric) => metric.resource?.name)).toContain("cpu");
    expect(container.resources.requests.cpu).toBeTruthy();
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
    // A replica count in the Deployment would reset the HPA's on every `kubectl apply`.
    expect((byKind("Deployment") as { spec: object }).spec).not.toHaveProperty("replicas");
  });
});

describe("the Kubernetes schema check", () => {
  it("refuses a wrongly typed field and a missing required one", () => {
    const broken = structuredClone(byKind("Deployment")) as {
      spec: { template: { spec: { containers: object[] } } };
    };
    broken.spec.template.spec.containers = [
      { name: "rapfs", image: "x:1", ports: [{ containerPort: "8080" }] },
    ];
    expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort/);
    expect(() => new Service({ metadata: { name: "x" }, spec: { ports: [{}] } } as never).validate()).toThrow(
      /port/,
    );
  });
});
