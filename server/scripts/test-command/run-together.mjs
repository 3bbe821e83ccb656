#!/usr/bin/env node
// `pnpm test`: the lint and the type check run beside the tests instead of before them, at the
// lowest CPU priority, so they take the cores only when the tests leave them idle (the test files
// wait on child processes, sockets and timers much of the time). Their output is printed after
// the tests', each under a heading; the exit code is the first failure's, in the order given.
import { spawn } from "node:child_process";
import { setPriority } from "node:os";

const [, , ...args] = process.argv;
const separator = args.indexOf("--");
const tests = args.slice(separator + 1);
const checks = [["biome", "check", "."], ["tsc"]];

/** Runs `command` with its output kept, at the lowest priority; resolves to its code and output. */
function checked([command, ...rest]) {
  return new Promise((resolve) => {
    const child = spawn(command, rest, { stdio: ["ignore", "pipe", "pipe"] });
    try {
      setPriority(child.pid, 19);
    } catch {
      // Lowering a priority is allowed everywhere we run; if not, it simply runs at ours.
    }
    const output = [];
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    child.on("error", (error) => resolve({ name: command, code: 1, output: `${error.message}\n` }));
    child.on("close", (code, signal) =>
      resolve({ name: command, code: code ?? (signal ? 1 : 0), output: Buffer.concat(output).toString() }),
    );
  });
}

function inherited([command, ...rest]) {
  return new Promise((resolve) => {
    const child = spawn(command, rest, { stdio: "inherit" });
    child.on("error", () => resolve(1));
    child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

if (separator < 0 || tests.length === 0) {
  process.stderr.write("usage: run-together.mjs -- <test command>\n");
  process.exit(2);
}
const running = checks.map(checked);
const testCode = await inherited(tests);
const results = await Promise.all(running);
for (const { name, code, output } of results) {
  process.stdout.write(
    `\n${name}: ${code === 0 ? "passed" : `failed (exit ${code})`}\n${code === 0 ? "" : output}`,
  );
}
const failed = results.find((r) => r.code !== 0);
process.exit(failed ? failed.code : testCode);
