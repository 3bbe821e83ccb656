import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { rm, writeFile } from "node:fs/promises";
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
  mkdirSync(FIXTURES_DIR, { recursive: true });
  const path = join(FIXTURES_DIR, `${key}.tar`);
  const lock = `${path}.lock`;
  for (;;) {
    const built = readIfThere(path);
    if (built) return built;
    if (tryLock(lock)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    const tarball = await build();
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, new Uint8Array(await tarball.arrayBuffer()));
    renameSync(partial, path);
    removeOutdated(name, key);
    return tarball;
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
    const outdated = file.startsWith(`${name}-`) && /^[0-9a-f]{16}\.tar$/.test(file.slice(name.length + 1));
    if (outdated && file !== `${key}.tar`) rmSync(join(FIXTURES_DIR, file), { force: true });
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
