import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import Ajv from "ajv";
import { DCLinter } from "dclint";
import { describe, expect, it } from "vitest";
import {
  type ComposeFile,
  healthcheckPath,
  interpolate,
  loadCompose,
  missingBindSources,
  service,
} from "./compose";
import { repoPath, serverDefaults, serverEnvironmentVariables, serverRoutes } from "./support";

const compose: ComposeFile = loadCompose();
const rapfs = service(compose, "rapfs");
const env = (name: string) => String(rapfs.environment?.[name] ?? "");

// The Compose Specification's schema (compose-spec/compose-spec, schema/compose-spec.json) as
// dclint ships it, so it is updated with the linter.
const dclintDir = dirname(createRequire(import.meta.url).resolve("dclint/package.json"));
const composeSchema = JSON.parse(readFileSync(join(dclintDir, "schemas/compose.schema.json"), "utf8"));
// The spec names draft-07 by its https address, which Ajv registers under http.
composeSchema.$schema = "http://json-schema.org/draft-07/schema#";
const ajv = new Ajv({ allErrors: true, strict: false });
const validateCompose = ajv.compile(composeSchema);

describe("docker-compose.yml", () => {
  it("is valid against the Compose Specification JSON schema", () => {
    const valid = validateCompose(compose);
    expect(validateCompose.errors ?? [], ajv.errorsText(validateCompose.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it("is refused by the schema when a service has an unknown key (the check can fail)", () => {
    const broken = structuredClone(compose);
    (broken.services.rapfs as Record<string, unknown>).helthcheck = { test: ["CMD", "true"] };
    expect(validateCompose(broken)).toBe(false);
  });

  it("has no dclint errors (style warnings aside)", () => {
    const linter = new DCLinter({ rules: {}, quiet: true, debug: false, exclude: [] });
    const [result] = linter.lintFiles([repoPath("docker-compose.yml")], false);
    const errors = (result?.messages ?? []).filter((message) => message.type === "error");
    expect(errors.map((e) => `${e.rule} (line ${e.line}): ${e.message}`)).toEqual([]);
  });

  it("brings up postgres with pgvector, redis, the server, prometheus and grafana", () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      "grafana",
      "postgres",
      "prometheus",
      "rapfs",
      "redis",
    ]);
    expect(service(compose, "postgres").image).toBe("pgvector/pgvector:pg17");
    expect(service(compose, "redis").image).toMatch(/^redis:7/);
    expect(rapfs.build).toMatchObject({ context: ".", dockerfile: "Dockerfile", target: "runtime" });
  });

  it("pins every image to a tag that is not latest", () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (!svc.image) continue;
      expect(svc.image, name).toMatch(/:[\w.-]+$/);
      expect(svc.image, name).not.toMatch(/:latest$/);
    }
  });

  it("depends only on services that exist, and on the data tier being healthy", () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const dependency of Object.keys(svc.depends_on ?? {})) {
        expect(compose.services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
        const target = service(compose, dependency);
        if (svc.depends_on?.[dependency]?.condition === "service_healthy") {
          expect(target.healthcheck?.test, `${dependency} needs a healthcheck`).toBeDefined();
        }
      }
    }
    expect(rapfs.depends_on).toEqual({
      postgres: { condition: "service_healthy" },
      redis: { condition: "service_healthy" },
    });
  });

  it("gives every service a healthcheck and a restart policy", () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      expect(svc.healthcheck?.test, name).toBeDefined();
      expect(svc.healthcheck?.disable, name).not.toBe(true);
      expect(svc.restart, name).toMatch(/^(unless-stopped|always|on-failure)/);
    }
  });

  it("sets only environment variables the server reads", () => {
    const known = serverEnvironmentVariables();
    const unknown = Object.keys(rapfs.environment ?? {}).filter((name) => !known.has(name));
    expect(unknown).toEqual([]);
  });

  it("gives postgres a cache that holds the HNSW graphs (the image's default is 128 MB)", () => {
    const command = service(compose, "postgres").command ?? [];
    const setting = command.find((arg) => arg.startsWith("shared_buffers="));
    // As compose interpolates it: POSTGRES_SHARED_BUFFERS unset here.
    expect(setting).toBe("shared_buffers=1GB");
  });

  it("points DATABASE_URL and REDIS_URL at the postgres and redis services", () => {
    const database = new URL(env("DATABASE_URL"));
    const postgres = service(compose, "postgres").environment ?? {};
    expect(database.protocol).toBe("postgres:");
    expect(database.hostname).toBe("postgres");
    expect(database.port).toBe("5432");
    expect(database.username).toBe(postgres.POSTGRES_USER);
    expect(database.password).toBe(postgres.POSTGRES_PASSWORD);
    expect(database.pathname).toBe(`/${postgres.POSTGRES_DB}`);

    const redis = new URL(env("REDIS_URL"));
    expect(redis.protocol).toBe("redis:");
    expect(redis.hostname).toBe("redis");
  });

  it("publishes the port the server listens on, on loopback only", () => {
    const port = Number(env("PORT") || serverDefaults().port);
    const published = (rapfs.ports ?? []).map((entry) => entry.split(":"));
    expect(published.map((parts) => parts.at(-1))).toContain(String(port));
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const entry of svc.ports ?? []) expect(entry, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it("health-checks the server on routes it has, on the port it listens on", () => {
    const routes = serverRoutes();
    const path = healthcheckPath(rapfs.healthcheck?.test);
    expect(path).toBe("/ready");
    expect(routes).toContain(`GET ${path}`);
    expect(JSON.stringify(rapfs.healthcheck?.test)).toContain(`127.0.0.1:${env("PORT")}/`);
    // A first start generates the corpus and materializes; it must not be called unhealthy.
    expect(rapfs.healthcheck?.start_period).toMatch(/^\d+m$/);
  });

  it("runs the server with a read-only root filesystem and a writable /tmp", () => {
    expect(rapfs.read_only).toBe(true);
    expect(rapfs.tmpfs).toContain("/tmp");
  });

  it("mounts only files that exist in the repository", () => {
    expect(missingBindSources(compose)).toEqual([]);
  });

  it("keeps Grafana's anonymous access off and its admin password overridable", () => {
    const grafana = service(compose, "grafana").environment ?? {};
    expect(grafana.GF_AUTH_ANONYMOUS_ENABLED).toBe("false");
    expect(grafana.GF_USERS_ALLOW_SIGN_UP).toBe("false");
    expect(grafana.GF_SECURITY_ADMIN_PASSWORD).toEqual(expect.any(String));
    const overridden = service(loadCompose({ GRAFANA_ADMIN_PASSWORD: "s3cret" }), "grafana");
    expect(overridden.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe("s3cret");
  });
});

describe("interpolate", () => {
  it("applies defaults, values and $$ like docker compose", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's syntax, not a JS template
    expect(interpolate("${A:-x} ${B-y} ${C} $$D", { B: "", C: "c" })).toBe("x  c $D");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's syntax, not a JS template
    expect(() => interpolate("${MISSING}")).toThrow(/no default/);
  });
});
