import { createHash } from "node:crypto";
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { repoRoot } from "../../src/config/paths";

const FIXTURES_DIR = join(repoRoot, ".tmp", "fixtures");
const LOCK_STALE_MS = 5 * 60_000;

const memo = new Map<string, Promise<Blob>>();

/**
 * A PGlite data directory tarball (`dumpDataDir`) built once for the state of what it is made
 * from: `name` and the contents of `inputs` (paths from the repository root) key it. The first
 * test process to ask builds it, the others wait on a lock, and it stays under .tmp/fixtures for
 * later runs; a change to any input makes a new one. Loading a copy takes a fraction of a second,
 * where a fresh in-memory PGlite alone runs initdb for two.
 */
export function cachedDataDir(name: string, inputs: string[], build: () => Promise<Blob>): Promise<Blob> {
  const key = fixtureKey(name, inputs);
  let dir = memo.get(key);
  if (!dir) {
    dir = loadOrBuild(name, key, build);
    memo.set(key, dir);
  }
  return dir;
}

async function loadOrBuild(name: string, key: string, build: () => Promise<Blob>): Promise<Blob> {
  const path = join(FIXTURES_DIR, `${key}.tar`);
  return builtOnce(
    name,
    key,
    path,
    () => readIfThere(path),
    async () => {
      const tarball = await build();
      const partial = `${path}.${process.pid}.partial`;
      await writeFile(partial, new Uint8Array(await tarball.arrayBuffer()));
      renameSync(partial, path);
      return tarball;
    },
  );
}

const directories = new Map<string, Promise<string>>();

/**
 * A directory built once for the state of what it is made from, as cachedDataDir builds a
 * tarball: `build` fills the empty directory it is given (a server's data directory after a first
 * start, say), and the path of the finished one is returned. Callers that change what they are
 * given copy it first (copyOfDirectory).
 */
export function cachedDirectory(
  name: string,
  inputs: string[],
  build: (directory: string) => Promise<void>,
): Promise<string> {
  const key = fixtureKey(name, inputs);
  let built = directories.get(key);
  if (!built) {
    const path = join(FIXTURES_DIR, key);
    built = builtOnce(
      name,
      key,
      path,
      () => (existsSync(path) ? path : undefined),
      async () => {
        const partial = `${path}.${process.pid}.partial`;
        rmSync(partial, { recursive: true, force: true });
        mkdirSync(partial, { recursive: true });
        await build(partial);
        renameSync(partial, path);
        return path;
      },
    );
    directories.set(key, built);
  }
  return built;
}

/** A fresh copy of `directory` under the system's temporary directory, named after `prefix`. */
export function copyOfDirectory(directory: string, prefix: string): string {
  const copy = mkdtempSync(join(tmpdir(), `${prefix}-`));
  cpSync(directory, copy, { recursive: true });
  return copy;
}

/**
 * What `find` finds at `path`, or else what `build` makes there, by the one process that takes
 * the build lock (the others wait for it); older fixtures of the same name are then removed.
 */
async function builtOnce<T>(
  name: string,
  key: string,
  path: string,
  find: () => T | undefined,
  build: () => Promise<T>,
): Promise<T> {
  mkdirSync(FIXTURES_DIR, { recursive: true });
  const lock = `${path}.lock`;
  for (;;) {
    const built = find();
    if (built) return built;
    if (tryLock(lock)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    const made = await build();
    removeOutdated(name, key);
    return made;
  } finally {
    await rm(lock, { force: true });
  }
}

function readIfThere(path: string): Blob | undefined {
  try {
    return new Blob([readFileSync(path)]);
  } catch (error) {
    // Not built yet, or removed as outdated by a process running newer code.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Deletes the fixtures of the same name built from an older state of the code. */
function removeOutdated(name: string, key: string): void {
  for (const file of readdirSync(FIXTURES_DIR)) {
    const outdated =
      file.startsWith(`${name}-`) && /^[0-9a-f]{16}(\.tar)?$/.test(file.slice(name.length + 1));
    if (outdated && file !== `${key}.tar` && file !== key)
      rmSync(join(FIXTURES_DIR, file), { recursive: true, force: true });
  }
}

/** Takes the build lock, or clears one left by a process that died while building. */
function tryLock(lock: string): boolean {
  try {
    closeSync(openSync(lock, "wx"));
    return true;
  } catch {
    if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmLock(lock);
    return false;
  }
}

function rmLock(lock: string): void {
  try {
    const stale = `${lock}.stale.${process.pid}`;
    renameSync(lock, stale);
    rmSync(stale, { force: true });
  } catch {
    // Another process cleared it first.
  }
}

function fixtureKey(name: string, inputs: string[]): string {
  const hash = createHash("sha256").update(name);
  for (const input of inputs) {
    if (!existsSync(join(repoRoot, input))) throw new Error(`${name}: its input ${input} is gone`);
    for (const file of filesOf(join(repoRoot, input)))
      hash.update(relative(repoRoot, file)).update(readFileSync(file));
  }
  return `${name}-${hash.digest("hex").slice(0, 16)}`;
}

function filesOf(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesOf(join(path, name)));
}
