import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
} from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "../../src/config/paths";
import { generateCorpus } from "../../src/corpus/index";
import { type Database, openDatabase } from "../../src/db/database";
import { IN_MEMORY } from "../../src/db/embedded";
import { prepareDefinitions } from "../../src/runtime/prepare-definitions";
import { openEmbeddedTestDatabase } from "./databases";

/** A corpus as `rapfs start` prepares it: generated, the shipped definitions applied and materialized. */
export type PreparedDataSpec = { scale: number; seed: number };

const FIXTURES_DIR = join(repoRoot, ".tmp", "fixtures");
const SHIPPED_DEFINITIONS = join(repoRoot, "feature-definitions");
// What the prepared data is made from: a change to any of it makes a new fixture.
const INPUTS = [
  "migrations",
  "feature-definitions",
  "server/src/corpus",
  "server/src/db",
  "server/src/definitions",
  "server/src/registry",
  "server/src/materialize",
  "pnpm-lock.yaml",
];
const LOCK_STALE_MS = 5 * 60_000;

const memo = new Map<string, Promise<Blob>>();

/**
 * The data directory of an embedded database holding the prepared corpus, as a tarball: built
 * once for the state of the code and the spec (by whichever test process asks first; the others
 * wait for it) and kept under .tmp/fixtures, so every test file loads its own copy in a moment
 * instead of generating and materializing the corpus again.
 */
export function preparedDataDir(spec: PreparedDataSpec): Promise<Blob> {
  const key = fixtureKey(spec);
  let dir = memo.get(key);
  if (!dir) {
    dir = loadOrBuild(key, spec);
    memo.set(key, dir);
  }
  return dir;
}

/** A fresh in-memory database holding its own copy of the prepared data. */
export async function preparedDatabase(spec: PreparedDataSpec): Promise<Database> {
  return openDatabase({ dataDir: IN_MEMORY, loadDataDir: await preparedDataDir(spec) });
}

async function loadOrBuild(key: string, spec: PreparedDataSpec): Promise<Blob> {
  mkdirSync(FIXTURES_DIR, { recursive: true });
  const path = join(FIXTURES_DIR, `${key}.tar`);
  const lock = `${path}.lock`;
  for (;;) {
    if (existsSync(path)) return new Blob([readFileSync(path)]);
    if (tryLock(lock)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    const tarball = await build(spec);
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, new Uint8Array(await tarball.arrayBuffer()));
    renameSync(partial, path);
    return tarball;
  } finally {
    await rm(lock, { force: true });
  }
}

async function build(spec: PreparedDataSpec): Promise<Blob> {
  const db = await openEmbeddedTestDatabase();
  try {
    await generateCorpus(db.sql, spec);
    await prepareDefinitions(db, { definitionsDir: SHIPPED_DEFINITIONS });
    if (!db.dumpDataDir) throw new Error("the embedded database cannot dump its data directory");
    return await db.dumpDataDir();
  } finally {
    await db.close();
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
    renameSync(lock, `${lock}.stale.${process.pid}`);
  } catch {
    // Another process cleared it first.
  }
}

function fixtureKey(spec: PreparedDataSpec): string {
  const hash = createHash("sha256").update(JSON.stringify(spec));
  for (const input of INPUTS)
    for (const file of filesOf(join(repoRoot, input))) hash.update(readFileSync(file));
  return `prepared-${spec.scale}-${spec.seed}-${hash.digest("hex").slice(0, 16)}`;
}

function filesOf(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesOf(join(path, name)));
}
