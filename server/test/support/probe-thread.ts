import { parentPort, workerData } from "node:worker_threads";
import { type ProbePhase, runProbes } from "./probes";

// A probe phase on a thread of its own (started by overload.ts): stopped by a "stop" message.
let stopped = false;
parentPort?.on("message", (message) => {
  if (message === "stop") stopped = true;
});
const result = await runProbes(workerData as ProbePhase, () => stopped);
parentPort?.postMessage(result);
