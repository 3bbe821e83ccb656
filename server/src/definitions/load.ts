import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { z } from "zod";
import { type Catalog, emptyCatalog, validateCatalog } from "./definition-set";
import { ErrorReporter } from "./errors";
import { type Definition, definitionSchema } from "./schema";
import { yamlDocuments } from "./yaml-documents";

export type SourceFile = { name: string; text: string };

/** Reads every *.yaml / *.yml in the directory (not recursive), in name order. */
export async function readDefinitionFiles(dir: string): Promise<SourceFile[]> {
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  return Promise.all(names.map(async (n) => ({ name: n, text: await readFile(join(dir, n), "utf8") })));
}

/** Loads and validates the definitions in a directory; every problem is reported in one error. */
export async function loadDefinitions(dir: string): Promise<Catalog> {
  return parseDefinitions(await readDefinitionFiles(dir));
}

export function parseDefinitions(files: SourceFile[]): Catalog {
  const reporter = ErrorReporter.create();
  const catalog = emptyCatalog();
  for (const file of files) {
    const fileReporter = reporter.inContext(basename(file.name));
    const docs = yamlDocuments(file.text);
    docs.forEach((doc, index) => {
      const docLabel = docs.length > 1 ? `document ${index + 1}` : undefined;
      const docReporter = docLabel ? fileReporter.inContext(docLabel) : fileReporter;
      if (doc.problems) {
        for (const problem of doc.problems) docReporter.error(`invalid YAML: ${problem}`);
        return;
      }
      const value = doc.value as { kind?: unknown; name?: unknown } | null | undefined;
      if (value === null || value === undefined) return;
      const parsed = definitionSchema.safeParse(value);
      const label = describeDocument(value) ?? docLabel;
      const here = label && label !== docLabel ? fileReporter.inContext(label) : docReporter;
      if (!parsed.success) {
        if (value.kind === "feature_view" && typeof value.name === "string") catalog.refused.add(value.name);
        for (const issue of parsed.error.issues) here.error(issue.message, ...issuePath(issue, value));
        return;
      }
      addToCatalog(catalog, parsed.data, file.name, label ?? file.name);
    });
  }
  validateCatalog(catalog, reporter);
  reporter.throwIfAny();
  return catalog;
}

function addToCatalog(catalog: Catalog, def: Definition, file: string, where: string): void {
  const at = { file: basename(file), where };
  switch (def.kind) {
    case "entity":
      catalog.entities.push({ ...at, def });
      break;
    case "feature_view":
      catalog.views.push({ ...at, def });
      break;
    case "embedding":
      catalog.embeddings.push({ ...at, def });
      break;
    case "feature_service":
      catalog.services.push({ ...at, def });
      break;
    case "dataset":
      catalog.datasets.push({ ...at, def });
      break;
  }
}

/** "feature_view qwen_analysis@2", so a message points at the definition, not a line number. */
function describeDocument(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== "string" || typeof v.name !== "string") return undefined;
  const version = typeof v.version === "number" ? `@${v.version}` : "";
  return `${v.kind} ${v.name}${version}`;
}

/** A zod issue path whose list items are named after what they hold: `feature energy`. */
function issuePath(issue: z.core.$ZodIssue, value: unknown): string[] {
  const segments: string[] = [];
  let node: unknown = value;
  for (const key of issue.path) {
    const child = node && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    if (typeof key === "number") {
      const named = child && typeof child === "object" ? (child as { name?: unknown }).name : undefined;
      const last = segments.pop() ?? "";
      if (last === "features" && typeof named === "string") segments.push(`feature ${named}`);
      else segments.push(typeof named === "string" ? `${last}[${key}] (${named})` : `${last}[${key}]`);
    } else {
      segments.push(String(key));
    }
    node = child;
  }
  return segments;
}

/**
 * yaml's message in one line: its first line ends in ":" before a multi-line excerpt, so the
 * line it points at is quoted instead (when it has any text).
 */
