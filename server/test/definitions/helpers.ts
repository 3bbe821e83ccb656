import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ENTITIES = `
kind: entity
name: track
description: A track.
key: { column: track_id, type: int }
---
kind: entity
name: artist
description: An artist.
key: { column: artist, type: string }
`;

/** A feature view YAML document with the given features (each `name: type = expr`). */
export function view(
  name: string,
  version: number,
  features: string[],
  source = "{ from: analyses, analyzers: [qwen-3-4b-fp8], pick: latest }",
) {
  const lines = features.map((f) => {
    const [head, expr] = f.split(" = ");
    const [feature, type] = (head ?? "").split(": ");
    return `  - name: ${feature}\n    type: "${type}"\n    expr: ${JSON.stringify(expr)}\n    description: ${feature}`;
  });
  return `kind: feature_view\nname: ${name}\nversion: ${version}\nentity: track\ndescription: ${name}\nowner: tests\nsource: ${source}\nfeatures:\n${lines.join("\n")}\n`;
}

/** A temporary definitions directory; returns it and a cleanup. */
export async function definitionsDir(
  files: Record<string, string>,
): Promise<{ dir: string; write(files: Record<string, string>): Promise<void>; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "rapfs-defs-"));
  const write = async (more: Record<string, string>) => {
    for (const [name, text] of Object.entries(more)) await writeFile(join(dir, name), text);
  };
  await write(files);
  return { dir, write, remove: () => rm(dir, { recursive: true, force: true }) };
}
