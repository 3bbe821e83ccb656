import { mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { executeNotebook, kernels, missingJupyter, NOTEBOOKS } from "./notebooks";

/**
 * `pnpm notebooks [name.ipynb …]`: runs the notebooks with Jupyter against a running server
 * (RAPFS_BASE_URL, default http://localhost:8080) with RAPFS_API_KEY, or a free key it signs up
 * for; the executed copies, outputs and all, go to .tmp/notebooks/.
 */
const baseUrl = process.env.RAPFS_BASE_URL ?? "http://localhost:8080";
const work = fileURLToPath(new URL("../../.tmp/notebooks/", import.meta.url));

async function freeKey(): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `notebooks-${Date.now()}@example.com` }),
  }).catch((error: Error) => {
    throw new Error(`no server answers at ${baseUrl} (start one with pnpm start): ${error.message}`);
  });
  if (response.status !== 201)
    throw new Error(`signup answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { key: { key: string } }).key.key;
}

async function main(): Promise<void> {
  const missing = missingJupyter();
  if (missing) throw new Error(missing);
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : NOTEBOOKS;
  mkdirSync(work, { recursive: true });
  kernels(work);
  const apiKey = process.env.RAPFS_API_KEY ?? (await freeKey());
  for (const name of names) {
    const out = join(work, name);
    process.stdout.write(`${name} … `);
    await executeNotebook(name, out, { work, baseUrl, apiKey });
    process.stdout.write(`ran every cell: ${relative(process.cwd(), out)}\n`);
  }
}

main().catch((error: { stderr?: string; message?: string }) => {
  process.stderr.write(`\n${error.stderr || error.message}\n`);
  process.exit(1);
});
