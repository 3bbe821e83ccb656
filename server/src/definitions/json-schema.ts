import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { definitionSchema } from "./schema";

export const SCHEMA_FILE = "schema.json";

/** The definition schema as JSON Schema, for editor completion (yaml-language-server). */
export function definitionJsonSchema(): Record<string, unknown> {
  // "input": fields with defaults are optional to the author.
  const schema = z.toJSONSchema(definitionSchema, { io: "input", unrepresentable: "any" });
  return { ...schema, title: "rapfs feature definition", $id: "https://rapfs.dev/schema/definitions.json" };
}

export function definitionJsonSchemaText(): string {
  return `${JSON.stringify(definitionJsonSchema(), null, 2)}\n`;
}

export async function writeDefinitionJsonSchema(dir: string): Promise<string> {
  const path = join(dir, SCHEMA_FILE);
  await writeFile(path, definitionJsonSchemaText());
  return path;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { loadConfig } = await import("../config/env");
  process.stdout.write(`${await writeDefinitionJsonSchema(loadConfig().definitionsDir)}\n`);
}
