import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * PostgreSQL's DBState, the fourth field of global/pg_control (after the 8-byte system identifier
 * and two 4-byte version numbers; the same offset since PostgreSQL 8): what the server was doing
 * when it last wrote the file. A server that finds anything but a shutdown there replays its
 * write-ahead log first ("database system was not properly shut down; automatic recovery in
 * progress"), which PGlite does too, silently.
 */
const STATES = [
  "starting up",
  "shut down",
  "shut down in recovery",
  "shutting down",
  "in crash recovery",
  "in archive recovery",
  "in production",
] as const;
const STATE_OFFSET = 16;

export type ShutdownState = (typeof STATES)[number] | "unknown";

/** The state an embedded data directory's pgdata was left in, or undefined if it holds none. */
export function shutdownState(pgdata: string): ShutdownState | undefined {
  let control: Buffer;
  try {
    control = readFileSync(join(pgdata, "global", "pg_control"));
  } catch {
    return undefined;
  }
  if (control.length < STATE_OFFSET + 4) return "unknown";
  return STATES[control.readUInt32LE(STATE_OFFSET)] ?? "unknown";
}

/** Whether a PostgreSQL opening this pgdata starts at once, without recovering from a crash. */
export const needsRecovery = (state: ShutdownState | undefined) =>
  state !== undefined && state !== "shut down" && state !== "shut down in recovery";
