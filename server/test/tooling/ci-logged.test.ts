import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

// .ci/run kept the test command's output with `| tee`, which reads until every process holding
// the pipe has closed it: a child a test leaked held CI's run open until the child's own end.
const helper = fileURLToPath(new URL("../../../.ci/logged.sh", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "rapfs-ci-logged-"));
const leaked: number[] = [];
afterAll(() => {
  for (const pid of leaked) {
    try {
      process.kill(pid);
    } catch {
      // Already gone.
    }
  }
  rmSync(work, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe(".ci/run's logged", () => {
  it("returns the command's exit code when the command exits, with a leaked child still holding its output", async () => {
    const file = join(work, "output.txt");
    const pidFile = join(work, "leaked.pid");
    const command = `sleep 600 & echo $! > '${pidFile}'; echo "the command speaks"; exit 3`;
    const script = `set -euo pipefail; . '${helper}'; code=0; logged '${file}' bash -c '${command.replaceAll("'", "'\\''")}' || code=$?; echo "exit $code"`;
    const { stdout } = await promisify(execFile)("bash", ["-c", script]);
    const pid = Number(readFileSync(pidFile, "utf8"));
    leaked.push(pid);
    expect(alive(pid)).toBe(true);
    expect(stdout).toContain("the command speaks");
    expect(stdout.trim().endsWith("exit 3")).toBe(true);
    expect(readFileSync(file, "utf8")).toContain("the command speaks");
  });
});
