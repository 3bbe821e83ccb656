import { loadConfig } from "../../config/env";
import { DefinitionError } from "../../definitions/errors";
import { applyDefinitions, PlanRefusedError } from "../../registry/apply";
import { formatPlan } from "../../registry/apply-plan";
import { vectorIndexFor } from "../../runtime/prepare-definitions";
import { openCliDatabase } from "../open-database";
import { CliError } from "../run";

/** Shared by plan and apply: open the database, run, print the plan, map refusals to exit 1. */
export async function runApply(options: { dryRun: boolean; dir?: string }): Promise<void> {
  const config = loadConfig();
  const db = await openCliDatabase(config);
  try {
    const result = await applyDefinitions(db.sql, options.dir ?? config.definitionsDir, {
      dryRun: options.dryRun,
      vectorIndex: vectorIndexFor(db, config.vectorIndex),
    });
    process.stdout.write(`${result.text}\n`);
    process.stdout.write(
      result.applied ? "Applied.\n" : "Nothing applied (plan only). Run `rapfs apply` to apply.\n",
    );
  } catch (error) {
    if (error instanceof PlanRefusedError) {
      process.stdout.write(`${formatPlan(error.plan)}\n`);
      throw new CliError(error.message);
    }
    if (error instanceof DefinitionError) throw new CliError(error.message);
    throw error;
  } finally {
    await db.close();
  }
}
