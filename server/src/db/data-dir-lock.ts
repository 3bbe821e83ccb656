import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
}

/** The lock file's content; `port` is the embedded database's loopback port once it listens. */
export type LockInfo = { pid: number; startedAt: string; port?: number };

const lockPath = (dataDir: string) => join(dataDir, "rapfs.lock");

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockInfo;
  } catch {
    return undefined;
  }
}

/**
 * PGlite is single-process: two processes on one data directory would corrupt it.
 * An exclusive lock file (O_EXCL) names the owner; a lock left by a dead process is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
      closeSync(fd);
      return () => {
        if (readLock(path)?.pid === process.pid) rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = readLock(path);
      if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
        const connect = owner.port
          ? `connect to its database with DATABASE_URL=${embeddedUrl(owner.port)} (rapfs commands do so by themselves)`
          : "connect to its database with DATABASE_URL";
        throw new DataDirLockedError(
          `The data directory ${dataDir} is in use by process ${owner.pid} (since ${owner.startedAt}). ` +
            `Stop that process, point RAPFS_DATA_DIR elsewhere, or ${connect}.`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirLockedError(`Could not lock the data directory ${dataDir}`);
}

export const embeddedUrl = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;

/**
 * Records in the lock the port the embedded database listens on, so the CLI beside a running
 * server finds it (the port is random). Written whole and renamed: a reader never sees half.
 */
export function publishPort(dataDir: string, port: number): void {
  const path = lockPath(dataDir);
  const owner = readLock(path);
  if (owner?.pid !== process.pid) return;
  writeFileSync(`${path}.${process.pid}`, JSON.stringify({ ...owner, port }));
  renameSync(`${path}.${process.pid}`, path);
}

/** Another live process holding the data directory, with its database's port once it published it. */
export function lockOwner(dataDir: string): LockInfo | undefined {
  const owner = readLock(lockPath(dataDir));
  return owner && owner.pid !== process.pid && isAlive(owner.pid) ? owner : undefined;
}
