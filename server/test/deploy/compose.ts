import { existsSync } from "node:fs";
import { posix, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { readRepoFile, repoPath } from "./support";

export type ComposeService = {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string };
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; start_period?: string; disable?: boolean };
  volumes?: string[];
  command?: string[];
  restart?: string;
  read_only?: boolean;
  tmpfs?: string[];
  user?: string;
};
export type ComposeFile = { name?: string; services: Record<string, ComposeService>; volumes?: object };

/**
 * Compose's interpolation (`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$$`) with the given
 * environment; by default none, so each variable takes the default the file gives it.
 */
export function interpolate(text: string, env: Record<string, string> = {}): string {
  return text.replace(
    /\$\$|\$\{(\w+)(?:(:?-)([^}]*))?\}|\$(\w+)/g,
    (match, braced?: string, operator?: string, fallback?: string, bare?: string) => {
      if (match === "$$") return "$";
      const name = braced ?? bare ?? "";
      const value = env[name];
      if (operator === ":-") return value ? value : (fallback ?? "");
      if (operator === "-") return value ?? fallback ?? "";
      if (value === undefined) throw new Error(`${match} has no default in docker-compose.yml`);
      return value;
    },
  );
}

export const composeFile = () => readRepoFile("docker-compose.yml");

/**
 * The parsed file as `docker compose config` sees it with no variables set: like Compose,
 * interpolation applies to the parsed string values, so `${X:-false}` stays the string "false".
 */
export function loadCompose(env: Record<string, string> = {}): ComposeFile {
  const resolve = (value: unknown): unknown => {
    if (typeof value === "string") return interpolate(value, env);
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner)]));
    }
    return value;
  };
  return resolve(parseYaml(composeFile())) as ComposeFile;
}

export function service(compose: ComposeFile, name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** The repository path a container path of a service is bind-mounted from, if it is. */
export function hostPathOf(svc: ComposeService, containerPath: string): string | undefined {
  for (const volume of svc.volumes ?? []) {
    const [source = "", target = ""] = volume.split(":");
    if (!source.startsWith(".")) continue;
    if (containerPath === target || containerPath.startsWith(`${target}/`)) {
      return repoPath(source, posix.relative(target, containerPath));
    }
  }
  return undefined;
}

/** Bind-mount sources that are missing from the repository. */
export function missingBindSources(compose: ComposeFile): string[] {
  const missing: string[] = [];
  for (const [name, svc] of Object.entries(compose.services)) {
    for (const volume of svc.volumes ?? []) {
      const source = volume.split(":")[0] ?? "";
      if (source.startsWith(".") && !existsSync(repoPath(source))) missing.push(`${name}: ${source}`);
    }
  }
  return missing;
}

export const repoRelative = (path: string) => relative(repoPath(), path);

/** The URL path a healthcheck command fetches, if it fetches one. */
export function healthcheckPath(test: string[] | string | undefined): string | undefined {
  const command = Array.isArray(test) ? test.join(" ") : (test ?? "");
  return /https?:\/\/[^/'"\s]+(\/[^'"\s)]*)/.exec(command)?.[1];
}
