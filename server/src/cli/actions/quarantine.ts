import { loadConfig } from "../../config/env";
import { plural } from "../../errors";
import { listQuarantined } from "../../materialize/quarantine";
import { openCliDatabase } from "../open-database";
import { parseTarget } from "./view-target";

/** `rapfs quarantine`: the analyses the views skip, and why. */
export async function quarantineAction(target: string | undefined, opts: { json?: boolean }): Promise<void> {
  const only = parseTarget(target);
  const db = await openCliDatabase(loadConfig());
  try {
    const entries = await listQuarantined(db.sql, only ?? {});
    if (opts.json) {
      for (const entry of entries) process.stdout.write(`${JSON.stringify(entry)}\n`);
      return;
    }
    if (entries.length === 0) {
      process.stdout.write("no analysis is quarantined\n");
      return;
    }
    for (const e of entries) {
      process.stdout.write(
        `${e.view}  analysis ${e.analysisId} (track ${e.trackId ?? "none"}, ${e.analyzer})  ` +
          `${e.field} = ${e.value ?? "null"}\n    ${e.problem}\n`,
      );
    }
    process.stdout.write(
      `${plural(entries.length, "analysis", "analyses")} quarantined: correct or delete them; ` +
        "a full run (rapfs materialize --full) then releases them\n",
    );
  } finally {
    await db.close();
  }
}
