import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

// .ci/run printed the costliest test files with `sort | head -8` under pipefail: with more lines
// than a pipe holds, sort died of SIGPIPE and CI exited 141 after every test had passed.
const helper = fileURLToPath(new URL("../../../.ci/costliest.sh", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "rapfs-ci-costliest-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe(".ci/run's costliest", () => {
  it("prints the total and the 8 costliest files of a profile larger than a pipe holds, and exits 0 under pipefail", async () => {
    const root = join(work, "clone");
    const lines = Array.from(
      { length: 3000 },
      (_, i) => `${(i / 10).toFixed(1)}\t${i}\t${root}/server/test/${"deep/".repeat(10)}file-${i}.test.ts`,
    );
    const profile = join(work, "cpu-per-file.tsv");
    writeFileSync(profile, `${lines.join("\n")}\n`);
    const script = `set -euo pipefail; . '${helper}'; costliest '${profile}' '${root}'; echo "exit 0"`;
    const { stdout } = await promisify(execFile)("bash", ["-c", script]);
    const printed = stdout.trim().split("\n");
    expect(printed[0]).toBe("test files: 3000, 449850 s of CPU; the costliest (CPU s, wall s, file):");
    expect(printed.slice(1, 9)).toEqual(
      [2999, 2998, 2997, 2996, 2995, 2994, 2993, 2992].map(
        (i) => `  ${(i / 10).toFixed(1)}\t${i}\tserver/test/${"deep/".repeat(10)}file-${i}.test.ts`,
      ),
    );
    expect(printed.slice(9)).toEqual(["exit 0"]);
  });
});
