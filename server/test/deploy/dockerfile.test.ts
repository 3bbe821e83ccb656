import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import {
  args,
  dockerfileText,
  dockerignore,
  execForm,
  instructionsOf,
  isIgnored,
  parseDockerfile,
  stageNamed,
  stages,
} from "./dockerfile";
import {
  readRepoFile,
  readYaml,
  repoPath,
  serverDefaults,
  serverEnvironmentVariables,
  serverRoutes,
} from "./support";

const dockerfile = parseDockerfile();
const all = stages(dockerfile);
const runtime = all.at(-1);
const rootPackage = JSON.parse(readRepoFile("package.json")) as { packageManager: string };
const serverPackage = JSON.parse(readRepoFile("server/package.json")) as {
  dependencies: Record<string, string>;
};
const ignored = dockerignore(readRepoFile(".dockerignore"));
// Static and dynamic imports and side-effect imports, by module specifier.
const IMPORT =
  /\bfrom\s+["']([^"'\n]+)["']|\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)|^\s*import\s+["']([^"'\n]+)["']/gm;

describe("Dockerfile", () => {
  it("has no problems dockerfile-utils (the VS Code Docker linter) reports", () => {
    const problems = validate(dockerfileText()).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it("builds in stages: deps (full install), prod-deps, and a slim runtime last", () => {
    expect(all.map((stage) => stage.name)).toEqual(["base", "deps", "prod-deps", "runtime"]);
    expect(runtime?.image).toMatch(/^node:20(\.\d+)*-bookworm-slim$/);
    const install = (name: string) =>
      instructionsOf(stageNamed(all, name), "RUN").map((run) => args(run).join(" "));
    expect(install("deps").join("\n")).toContain("pnpm install --frozen-lockfile --prod=false");
    expect(install("prod-deps").join("\n")).toContain("pnpm install --frozen-lockfile --prod");
  });

  it("copies every workspace package's manifest before installing with the lockfile", () => {
    const workspace = readYaml("pnpm-workspace.yaml") as { packages: string[] };
    const copied = instructionsOf(stageNamed(all, "base"), "COPY").flatMap((copy) => args(copy).slice(0, -1));
    expect(copied).toEqual(expect.arrayContaining(["package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml"]));
    for (const pkg of workspace.packages) expect(copied, pkg).toContain(`${pkg}/package.json`);
  });

  it("pins every base image to a tag that is not latest", () => {
    const stageNames = new Set(all.map((stage) => stage.name));
    for (const { image } of all) {
      if (stageNames.has(image)) continue;
      expect(image).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it("installs the pnpm the repository pins, with npm rather than corepack", () => {
    const pinned = rootPackage.packageManager.replace(/^pnpm@/, "");
    const runs = all.flatMap((stage) => instructionsOf(stage, "RUN").map((run) => args(run).join(" ")));
    expect(runs).toContainEqual(expect.stringContaining(`npm install -g "pnpm@${pinned}"`));
    expect(runs.join("\n")).not.toMatch(/corepack/);
  });

  it("runs as a numeric non-root user, set before CMD", () => {
    const instructions = runtime?.instructions ?? [];
    const users = instructions.filter((i) => i.getKeyword() === "USER");
    const lastUser = users.at(-1);
    expect(lastUser).toBeDefined();
    const [user = ""] = args(lastUser as NonNullable<typeof lastUser>);
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(user.split(":")[0]).not.toBe("0");
    const cmd = instructions.findIndex((i) => i.getKeyword() === "CMD");
    expect(instructions.indexOf(lastUser as NonNullable<typeof lastUser>)).toBeLessThan(cmd);
  });

  it("starts the server with node itself as PID 1 (exec form, no package-manager wrapper)", () => {
    const [cmd] = instructionsOf(runtime as NonNullable<typeof runtime>, "CMD");
    const command = execForm(cmd as NonNullable<typeof cmd>);
    expect(command).toEqual(["node", "--import", "tsx", "src/cli/main.ts", "start"]);
    const workdirs = instructionsOf(runtime as NonNullable<typeof runtime>, "WORKDIR").map((w) => args(w)[0]);
    expect(workdirs.at(-1)).toBe("/app/server");
    expect(existsSync(repoPath("server/src/cli/main.ts"))).toBe(true);
  });

  it("exposes the server's port, health-checks a route it has, and stops with SIGTERM", () => {
    const stage = runtime as NonNullable<typeof runtime>;
    const env = Object.fromEntries(
      instructionsOf(stage, "ENV").flatMap((e) => args(e).map((kv) => kv.split("=") as [string, string])),
    );
    expect(instructionsOf(stage, "EXPOSE").map((e) => args(e)[0])).toEqual([env.PORT]);
    expect(Number(env.PORT)).toBe(serverDefaults().port);
    const [healthcheck] = instructionsOf(stage, "HEALTHCHECK");
    const probe = execForm(healthcheck as NonNullable<typeof healthcheck>)?.join(" ") ?? "";
    const path = /\+ '(\/[\w/-]+)'/.exec(probe)?.[1];
    expect(path).toBe("/health");
    expect(serverRoutes()).toContain(`GET ${path}`);
    expect(instructionsOf(stage, "STOPSIGNAL").map((s) => args(s)[0])).toEqual(["SIGTERM"]);
  });

  it("sets only environment variables the server reads", () => {
    const known = serverEnvironmentVariables();
    const set = all.flatMap((stage) =>
      instructionsOf(stage, "ENV").flatMap((e) => args(e).map((kv) => kv.split("=")[0] ?? "")),
    );
    expect(set.filter((name) => name !== "CI" && !known.has(name))).toEqual([]);
  });

  it("copies the sources, migrations and definitions the server reads, none of them ignored", () => {
    const stage = runtime as NonNullable<typeof runtime>;
    const fromContext = instructionsOf(stage, "COPY")
      .filter((copy) => !/--from=/.test(copy.getTextContent()))
      .flatMap((copy) => args(copy).slice(0, -1));
    expect(fromContext).toEqual(expect.arrayContaining(["server/src", "migrations", "feature-definitions"]));
    for (const source of fromContext) {
      expect(existsSync(repoPath(source)), source).toBe(true);
      expect(isIgnored(ignored, source), `${source} is excluded by .dockerignore`).toBe(false);
    }
  });

  it("keeps dependencies, local data, VCS and build output out of the build context", () => {
    for (const path of [
      "node_modules",
      "server/node_modules",
      ".rapfs",
      ".git",
      "dist",
      "sdk/dist",
      ".tmp",
    ]) {
      expect(isIgnored(ignored, path), path).toBe(true);
    }
  });

  it("needs only production dependencies: server/src imports nothing from devDependencies", () => {
    const builtins = new Set(builtinModules);
    const unlisted = new Set<string>();
    const dir = repoPath("server/src");
    for (const file of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".ts")) continue;
      const text = readFileSync(join(dir, file), "utf8");
      for (const match of text.matchAll(IMPORT)) {
        const specifier = match[1] ?? match[2] ?? match[3] ?? "";
        if (specifier.startsWith(".") || specifier.startsWith("node:") || builtins.has(specifier)) continue;
        const name = specifier.startsWith("@")
          ? specifier.split("/").slice(0, 2).join("/")
          : specifier.split("/")[0];
        if (name && !(name in serverPackage.dependencies)) unlisted.add(`${name} (${file})`);
      }
    }
    expect([...unlisted]).toEqual([]);
    expect(serverPackage.dependencies).toHaveProperty("tsx");
  });
});

describe("the Dockerfile checks", () => {
  it("see a root user, a latest tag and an ignored source", () => {
    const bad = stages(
      parseDockerfile("FROM node:latest\nCOPY server/src server/src\nUSER root\nCMD node x\n"),
    );
    expect(bad[0]?.image).toBe("node:latest");
    expect(args(instructionsOf(bad[0] as NonNullable<(typeof bad)[0]>, "USER")[0] as never)).toEqual([
      "root",
    ]);
    expect(isIgnored(dockerignore("server/src\n"), "server/src")).toBe(true);
    expect(isIgnored(dockerignore("**/node_modules\n"), "server/node_modules/x")).toBe(true);
    expect(isIgnored(dockerignore("**/node_modules\n"), "server/src")).toBe(false);
    expect(validate("FROM node:20\nCOPY server\n").length).toBeGreaterThan(0);
  });
});
