import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { args, execForm, instructionsOf, parseDockerfile, stages } from "./dockerfile";
import { repoPath } from "./support";

/**
 * No Docker engine runs here, so this lays out the runtime stage's file system as the Dockerfile
 * does (context COPYs into a temporary /app, WORKDIR, ENV, CMD) and starts the server from it:
 * a file the server reads at run time but the image leaves out fails here. node_modules are the
 * workspace's own (a superset of the prod-deps stage; dockerfile.test.ts checks that server/src
 * imports only production dependencies). The database is the embedded one, at a tiny scale.
 */
const runtime = stages(parseDockerfile()).at(-1);
if (!runtime) throw new Error("the Dockerfile has no stages");
const root = mkdtempSync(join(tmpdir(), "rapfs-image-"));
const app = join(root, "app");
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

function layOut(): { cwd: string; env: Record<string, string>; command: string[]; healthcheck: string[] } {
  let workdir = "/";
  const env: Record<string, string> = {};
  for (const instruction of runtime?.instructions ?? []) {
    const keyword = instruction.getKeyword();
    if (keyword === "WORKDIR") workdir = args(instruction)[0] ?? "/";
    if (keyword === "ENV") {
      for (const pair of args(instruction)) {
        const [name = "", ...value] = pair.split("=");
        env[name] = value.join("=");
      }
    }
    if (keyword !== "COPY") continue;
    const parts = args(instruction);
    const target = parts.at(-1) ?? "";
    const destination = join(root, target.startsWith("/") ? target : join(workdir, target));
    const fromStage = /--from=/.test(instruction.getTextContent());
    for (const source of parts.slice(0, -1)) {
      const into = target.endsWith("/") ? join(destination, source.split("/").at(-1) ?? "") : destination;
      mkdirSync(dirname(into), { recursive: true });
      if (fromStage) symlinkSync(repoPath(source.replace(/^\/app\//, "")), into);
      else cpSync(repoPath(source), into, { recursive: true });
    }
  }
  const [cmd] = instructionsOf(runtime as NonNullable<typeof runtime>, "CMD");
  const [healthcheck] = instructionsOf(runtime as NonNullable<typeof runtime>, "HEALTHCHECK");
  return {
    cwd: join(root, workdir),
    env,
    command: execForm(cmd as NonNullable<typeof cmd>) ?? [],
    healthcheck: execForm(healthcheck as NonNullable<typeof healthcheck>) ?? [],
  };
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (child?.exitCode !== null) throw new Error(`the server exited (${child?.exitCode}) before ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("the runtime image's file system", () => {
  it("starts the server, passes the image's HEALTHCHECK, gets ready and stops cleanly on SIGTERM", async () => {
    const { cwd, env, command, healthcheck } = layOut();
    expect(app).toBe(join(root, "app"));
    const port = await freePort();
    const processEnv = {
      PATH: process.env.PATH ?? "",
      ...env,
      PORT: String(port),
      HOST: "127.0.0.1",
      RAPFS_DATA_DIR: join(root, "data"),
      RAPFS_CORPUS_SCALE: "0.01",
    };
    const [executable = "node", ...rest] = command;
    const output: string[] = [];
    child = spawn(executable === "node" ? process.execPath : executable, rest, {
      cwd,
      env: processEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    const base = `http://127.0.0.1:${port}`;

    try {
      await waitFor(async () => (await fetch(`${base}/health`)).ok, 60_000, "/health");
      const [probe = "node", ...probeArgs] = healthcheck;
      const check = spawnSync(probe === "node" ? process.execPath : probe, probeArgs, { env: processEnv });
      expect(check.status, String(check.error ?? check.stderr)).toBe(0);

      await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, 150_000, "/ready");
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain("rapfs_http_requests_total");
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- server output ---\n${output.join("").slice(-4000)}`);
    }

    const exited = new Promise<number | null>((resolve) => child?.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output.join("")).toMatch(/"msg":"stopped"/);
  }, 240_000);
});
