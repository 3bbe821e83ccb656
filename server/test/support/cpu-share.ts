import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** The machine's CPU time so far (/proc/stat's first line, in clock ticks): busy, in all, and its CPUs. */
export type CpuTicks = { busy: number; total: number; cpus: number };

export function cpuTicks(): CpuTicks {
  const lines = readFileSync("/proc/stat", "utf8").split("\n");
  const fields = (lines[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const cpus = lines.filter((line) => /^cpu\d/.test(line)).length;
  // idle and iowait are the 4th and 5th fields.
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total, cpus };
}

/** How many cores were busy on average between two readings (of all the machine's, as /proc/stat counts). */
export function busyCores(from: CpuTicks, to: CpuTicks): number {
  const total = to.total - from.total;
  return total > 0 ? ((to.busy - from.busy) / total) * to.cpus : 0;
}

// Spins for `duty` of every 10 ms period, sleeps the rest, until killed or past its deadline (a
// bench that dies leaves no burner spinning).
const BURNER = `
const duty = Number(process.argv[1]);
const deadline = Date.now() + Number(process.argv[2]);
const period = 10;
const tick = () => {
  if (Date.now() > deadline) process.exit(0);
  const end = performance.now() + duty * period;
  while (performance.now() < end);
  setTimeout(tick, period * (1 - duty));
};
tick();`;

/**
 * Child processes that keep `cores` cores busy (each at most one), doing nothing else: the CPU a
 * load takes, without the load, to tell what a bystander's latency owes to its share of the
 * machine from what it owes to the server.
 */
export function burnCores(cores: number, forMs: number): { stop(): void } {
  const children: ChildProcess[] = [];
  for (let left = cores; left > 0.01; left -= 1) {
    const duty = Math.min(1, left);
    children.push(spawn(process.execPath, ["-e", BURNER, String(duty), String(forMs)], { stdio: "ignore" }));
  }
  return {
    stop() {
      for (const child of children) child.kill("SIGKILL");
    },
  };
}
