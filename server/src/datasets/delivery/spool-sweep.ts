import { readdir, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

/** `rapfs-spool-<host>-<pid>-<random>`: whose spool a directory is, so others can tell it is dead. */
export const spoolDirPrefix = (pid = process.pid, host = hostname()) =>
  `rapfs-spool-${host.replace(/[^A-Za-z0-9.]/g, "_")}-${pid}-`;

const OWNED = /^rapfs-spool-(.+)-(\d+)-[^-]+$/;
const ANY = /^rapfs-spool-/;

export type SweepResult = { removed: string[]; kept: string[] };

/**
 * Removes the spools that no live process owns from `parentDir`: those of a dead process on this
 * host (a crash or SIGKILL leaves its encoded downloads behind), and any, from any host or of an
 * older naming, not written to for `maxAgeMs` (longer than a resume is ever kept). A live
 * process's spool is never touched; one named for this process's pid but written before it
 * started belongs to an earlier process with that pid (pid 1 in every container) and is dead.
 */
export async function sweepSpools(
  parentDir: string,
  maxAgeMs: number,
  now = Date.now(),
  host = hostname(),
  startedAt = processStartedAt(),
): Promise<SweepResult> {
  const result: SweepResult = { removed: [], kept: [] };
  const names = await readdir(parentDir).catch(() => [] as string[]);
  const ownHost = host.replace(/[^A-Za-z0-9.]/g, "_");
  for (const name of names.filter((n) => ANY.test(n))) {
    const path = join(parentDir, name);
    const owned = OWNED.exec(name);
    const sameHost = owned?.[1] === ownHost;
    const pid = Number(owned?.[2]);
    const written = await lastWritten(path);
    // Our pid, but written before we started: an earlier process's that had the same pid, as
    // every container's node has pid 1. Dead, however recent.
    if (sameHost && pid === process.pid && written >= startedAt) {
      result.kept.push(name);
      continue;
    }
    const dead = sameHost && (pid === process.pid || !alive(pid));
    const old = !dead && now - written > maxAgeMs;
    if (dead || old) {
      await rm(path, { recursive: true, force: true }).catch(() => {});
      result.removed.push(name);
    } else result.kept.push(name);
  }
  return result;
}

/** When this process started, by the wall clock file times are in. */
const processStartedAt = () => Date.now() - process.uptime() * 1000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The newest mtime of a directory and its files. */
async function lastWritten(dir: string): Promise<number> {
  let newest = (await stat(dir).catch(() => undefined))?.mtimeMs ?? 0;
  for (const file of await readdir(dir).catch(() => [] as string[])) {
    const mtime = (await stat(join(dir, file)).catch(() => undefined))?.mtimeMs ?? 0;
    newest = Math.max(newest, mtime);
  }
  return newest;
}
