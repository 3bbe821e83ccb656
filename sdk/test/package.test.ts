import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const sdkDir = fileURLToPath(new URL("..", import.meta.url));

// Builds with tsup, packs with pnpm, loads the tarball with require() and import(), then runs
// publint and attw on it: the package as users would install it, not the source tree.
it("builds a package that loads from CJS and ESM and passes publint and attw", {
  timeout: 180_000,
}, async () => {
  // Under `pnpm test` the running pnpm is in npm_execpath, which works even when pnpm is not on PATH.
  const execPath = process.env.npm_execpath ?? "";
  const [cmd, ...pre] = !/pnpm/.test(execPath)
    ? ["pnpm"]
    : /\.[cm]?js$/.test(execPath)
      ? [process.execPath, execPath]
      : [execPath];
  const { stdout } = await promisify(execFile)(cmd as string, [...pre, "run", "--silent", "check:package"], {
    cwd: sdkDir,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    maxBuffer: 16 * 1024 * 1024,
  });
  expect(stdout).toContain("ok   require('@rapfs/sdk') from CommonJS");
  expect(stdout).toContain("ok   import('@rapfs/sdk') from ESM");
  expect(stdout).toContain("ok   publint --strict");
  expect(stdout).toContain("No problems found");
  expect(stdout).toContain("package checks passed");
});
