import { loadConfig } from "../../config/env";
import { migrate } from "../../db/migrate";
import { openCliDatabase } from "../open-database";

/** `rapfs migrate`: the pending migrations, on a database it may create. */
export async function migrateAction(): Promise<void> {
  const config = loadConfig();
  const db = await openCliDatabase(config, { create: true });
  try {
    const result = await migrate(db.sql, config.migrationsDir);
    const applied = result.applied.length ? result.applied.join(", ") : "nothing to apply";
    process.stdout.write(`migrations: ${applied} (${result.alreadyApplied} already applied)\n`);
  } finally {
    await db.close();
  }
}
