import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import LongFilesFirst from "./server/test/support/long-files-first";

// Workspace packages from source, as their tsconfig paths say: tests never need a build.
const sdkSource = fileURLToPath(new URL("./sdk/src/index.ts", import.meta.url));
const serverPackage = fileURLToPath(new URL("./server", import.meta.url));
// The CLI that tests start as child processes (server/test/support/rapfs-command.ts), built once.
const buildCli = fileURLToPath(new URL("./server/test/support/build-cli.ts", import.meta.url));
// RAPFS_TEST_CPU_PROFILE=<file>: each file's CPU seconds appended to <file> (support/cpu-per-file.ts).
const cpuPerFile = fileURLToPath(new URL("./server/test/support/cpu-per-file.ts", import.meta.url));

// Files whose assertions hold only with the machine to themselves: Redis killed and restarted
// under them, quota exactness across processes with timed leases, readiness timeouts. They run
// one at a time before everything else, which then runs on every core: they leave a core idle
// (66 s of CPU in 84 s), which `pnpm test`'s type check and lint, at the lowest priority, take.
const EXCLUSIVE = [
  "test/access/limiter.test.ts",
  "test/access/leases.test.ts",
  "test/access-http/redis-outage.test.ts",
  "test/access-http/two-processes.test.ts",
  "test/online/redis-outage.test.ts",
  "test/serving/outage.test.ts",
  "test/api/ready.test.ts",
  "test/cluster/**/*.test.ts",
];

// Reliability files that time a bystander or a p99 against a quiet phase under load.
const RELIABILITY_UNDER_LOAD = [
  "test/reliability/overload.test.ts",
  "test/reliability/hostile.test.ts",
  "test/reliability/redis-cluster.test.ts",
  "test/reliability/load-and-faults.test.ts",
];

export default defineConfig({
  resolve: { alias: { "@rapfs/sdk": sdkSource, "@rapfs/server": serverPackage } },
  test: {
    // CI also writes a JSON report that .ci/run turns into a plain "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    globalSetup: [buildCli],
    setupFiles: process.env.RAPFS_TEST_CPU_PROFILE ? [cpuPerFile] : [],
    outputFile: { json: ".tmp/vitest.json" },
    // Three on a 2-core machine: most files wait on I/O (child processes, Redis, sockets) as much
    // as they compute. The server project took 339 s with three against 474 s with two
    // (2026-11-25); the files that need the machine to themselves run one at a time anyway.
    maxWorkers: 3,
    // The files that wait longest start first, their waits beside the others' work.
    sequence: { sequencer: LongFilesFirst },
    // A worker runs file after file on the modules it has already loaded (PGlite, hono, zod, the
    // server's sources), where a fresh one per file spent seconds importing them again: files
    // share no state but caches, and vitest restores mocks and config between them.
    isolate: false,
    projects: [
      {
        extends: true,
        test: {
          name: "server",
          root: "server",
          sequence: { groupOrder: 1 },
          include: ["test/**/*.test.ts"],
          exclude: ["test/reliability/**", ...EXCLUSIVE],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: "server-exclusive",
          root: "server",
          include: EXCLUSIVE,
          fileParallelism: false,
          sequence: { groupOrder: 0 },
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Fault tests (pnpm test:reliability): a database cut, a process killed or stopped, each
        // on real processes on loopback. Their assertions are about what is answered, not how
        // fast under load, and they spend much of their time waiting on the fault: three at once
        // (all nine at once took 217 s against 175 s: their starts then fight for the cores).
        extends: true,
        test: {
          name: "reliability-faults",
          // A process of its own per file, as before: not yet tried sharing one.
          isolate: true,
          root: "server",
          include: ["test/reliability/**/*.test.ts"],
          exclude: RELIABILITY_UNDER_LOAD,
          maxWorkers: 3,
          sequence: { groupOrder: 2 },
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Load tests (pnpm test:reliability): latency ceilings against a quiet phase of the same
        // run, so one at a time with the machine to themselves, after the fault tests.
        extends: true,
        test: {
          name: "reliability-load",
          isolate: true,
          root: "server",
          include: RELIABILITY_UNDER_LOAD,
          fileParallelism: false,
          sequence: { groupOrder: 3 },
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          name: "sdk",
          root: "sdk",
          sequence: { groupOrder: 1 },
          include: ["test/**/*.test.ts"],
          // Its live tests call a real server on a busy CI machine. Set here, not by vi.setConfig in
          // their shared module: a worker imports that once, and vitest resets the config after each file.
          testTimeout: 60_000,
        },
      },
    ],
  },
});
