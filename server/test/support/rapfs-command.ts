import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../../src/config/paths";

/**
 * The `rapfs` command as the README runs it (`pnpm start`, `pnpm rapfs`): node on server/bin/rapfs.mjs,
 * which loads the CLI built from server/src into one module (rebuilt when a source changes). A child
 * started this way loads in ~0.3 s of CPU, where `--import tsx` compiling the sources took 1.5-2 s
 * more in each of the suite's many server processes. vitest's global setup builds it once.
 */
export const RAPFS_BIN = join(repoRoot, "server", "bin", "rapfs.mjs");

/** The arguments of `node` that run `rapfs <args>`. */
export const rapfsArgs = (...args: string[]): string[] => [RAPFS_BIN, ...args];

export type RapfsRun = { code: number | null; stdout: string; stderr: string };

/** Runs `rapfs <args>` as a child with exactly `env` (and `cwd`), its output kept. */
export function runRapfs(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<RapfsRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, rapfsArgs(...args), {
      ...(cwd ? { cwd } : {}),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
