import { execFileSync } from "node:child_process";
import { existsSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../src/config/paths";
import { startBenchServer } from "./child";

/**
 * The online server as an earlier commit built it (RAPFS_BENCH_ONLINE_BEFORE=<git ref>), for "no
 * worse than before" measured in the same run: a detached worktree of that commit beside the
 * repository (sharing its node_modules: the same lockfile is assumed), over a data directory of
 * its own (one embedded database serves one process; the corpus it generates is the same).
 */
export async function startBeforeServer<T>(ref: string, dataDir: string, env: NodeJS.ProcessEnv) {
  const commit = execFileSync("git", ["rev-parse", "--short", ref], { cwd: repoRoot }).toString().trim();
  const checkout = join(repoRoot, ".rapfs-bench", `before-${commit}`);
  if (!existsSync(checkout)) {
    execFileSync("git", ["worktree", "add", "--detach", checkout, commit], {
      cwd: repoRoot,
      stdio: "ignore",
    });
    for (const modules of ["node_modules", "server/node_modules", "sdk/node_modules"]) {
      if (existsSync(join(repoRoot, modules))) symlinkSync(join(repoRoot, modules), join(checkout, modules));
    }
  }
  const own = `${dataDir}-before`;
  process.stderr.write(`online bench: ${commit} (before) from ${checkout} over ${own}\n`);
  const entry = join(checkout, "server", "bench", "online-server.ts");
  const started = await startBenchServer<T>(entry, { ...env, RAPFS_DATA_DIR: own }, checkout);
  return { ...started, commit };
}
