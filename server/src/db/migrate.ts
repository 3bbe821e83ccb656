import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Sql } from "./database";

export type Migration = { version: number; name: string; checksum: string; body: string };
export type MigrationResult = { applied: string[]; alreadyApplied: number };

export class MigrationError extends Error {
  override name = "MigrationError";
}

const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/;
// Any fixed 64-bit number; every rapfs process that migrates takes the same lock.
const MIGRATION_LOCK_ID = 7_261_990_421n;

export async function readMigrations(dir: string): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".sql")).sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const match = FILE_PATTERN.exec(name);
    if (!match) throw new MigrationError(`Migration file ${name} must be named NNNN_lowercase_name.sql`);
    const body = await readFile(join(dir, name), "utf8");
    const checksum = createHash("sha256").update(body).digest("hex");
    migrations.push({ version: Number(match[1]), name, checksum, body });
  }
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]?.version === migrations[i - 1]?.version) {
      throw new MigrationError(`Two migrations share version ${migrations[i]?.version}`);
    }
  }
  return migrations;
}

/**
 * Applies pending migrations in order in one transaction (all or none), under an advisory lock
 * so concurrent starts apply each migration exactly once. An applied migration whose file
 * changed is refused: history is append-only.
 */
export async function migrate(sql: Sql, dir: string): Promise<MigrationResult> {
  const migrations = await readMigrations(dir);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID.toString()}::bigint)`;
    await tx`
      create table if not exists rapfs_migrations (
        version int primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`;
    const applied = new Map(
      (
        await tx<{ version: number; name: string; checksum: string }[]>`
        select version, name, checksum from rapfs_migrations order by version`
      ).map((row) => [row.version, row]),
    );
    for (const [version, row] of applied) {
      const file = migrations.find((m) => m.version === version);
      if (!file)
        throw new MigrationError(`Migration ${row.name} was applied but its file is missing from ${dir}`);
      if (file.checksum !== row.checksum) {
        throw new MigrationError(
          `Migration ${file.name} was edited after it was applied (checksum ${row.checksum.slice(0, 12)} → ` +
            `${file.checksum.slice(0, 12)}). Revert the edit and add a new migration instead.`,
        );
      }
    }
    const pending = migrations.filter((m) => !applied.has(m.version));
    for (const migration of pending) {
      try {
        await tx.unsafe(migration.body);
      } catch (error) {
        throw new MigrationError(`Migration ${migration.name} failed: ${(error as Error).message}`);
      }
      await tx`insert into rapfs_migrations (version, name, checksum)
               values (${migration.version}, ${migration.name}, ${migration.checksum})`;
    }
    return { applied: pending.map((m) => m.name), alreadyApplied: applied.size };
  });
}
