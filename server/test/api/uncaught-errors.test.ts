import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const module = fileURLToPath(new URL("../../src/runtime/uncaught-errors.ts", import.meta.url));
const registry = fileURLToPath(new URL("../../src/metrics/registry.ts", import.meta.url));
const logger = fileURLToPath(new URL("../../src/log/logger.ts", import.meta.url));

// In a process of its own: an uncaught exception in vitest's worker would fail the run.
const script = `
import { keepServingOnUncaughtErrors } from ${JSON.stringify(module)};
import { createMetrics } from ${JSON.stringify(registry)};
import { createLogger } from ${JSON.stringify(logger)};
const metrics = createMetrics({ defaultMetrics: false });
keepServingOnUncaughtErrors(createLogger("error"), metrics);
setTimeout(() => { throw new TypeError("results[i] is not iterable"); }, 1);
setTimeout(() => { Promise.reject(new Error("nobody awaited this")); }, 2);
setTimeout(async () => {
  const text = await metrics.registry.metrics();
  console.log(text.split("\\n").filter((l) => l.startsWith("rapfs_uncaught_errors_total")).join(";"));
}, 50);
`;

it("an uncaught exception or rejection is logged with its stack and counted, and the process serves on", async () => {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", script],
    {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
    },
  );
  expect(stdout.trim()).toBe(
    'rapfs_uncaught_errors_total{kind="exception"} 1;rapfs_uncaught_errors_total{kind="rejection"} 1',
  );
  const lines = stderr
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, string>);
  expect(lines.map((l) => l.msg ?? l.message)).toEqual([
    "uncaught exception; serving on",
    "uncaught rejection; serving on",
  ]);
  expect(lines[0]?.stack).toContain("TypeError: results[i] is not iterable");
});
