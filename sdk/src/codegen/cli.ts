import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { RapFS } from "../client";
import { RapFSError } from "../core/errors";
import { modelFromServer, renderRegistryTypes } from "./registry-types";

const USAGE = `Usage: npx @rapfs/sdk codegen --url <server> [--api-key <key>] [--out rapfs.d.ts]

Writes a declaration file that types @rapfs/sdk with the server's registry: entity ids,
feature references and their value types, services, embeddings and datasets. Include it in
your TypeScript project; .mts and .cts files are typed alike. The key defaults to RAPFS_API_KEY
(any key with read access), the URL to RAPFS_BASE_URL.
`;

/** `rapfs-sdk codegen …`: the exit code, with what to say on stdout and stderr. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  if (values.help || positionals[0] !== "codegen" || positionals.length > 1) {
    (values.help ? process.stdout : process.stderr).write(USAGE);
    return values.help ? 0 : 2;
  }
  const url = values.url ?? env.RAPFS_BASE_URL;
  if (!url) {
    process.stderr.write(
      `codegen needs --url (or RAPFS_BASE_URL): the server whose registry to read.\n\n${USAGE}`,
    );
    return 2;
  }
  try {
    const client = new RapFS({
      baseURL: url,
      apiKey: values["api-key"] ?? env.RAPFS_API_KEY ?? null,
      maxRetries: 1,
    });
    const model = await modelFromServer(client);
    const out = resolve(values.out);
    await writeFile(out, renderRegistryTypes(model, `the registry of ${new URL(url).origin}`));
    const features = model.views.reduce((n, v) => n + (v.status === "retired" ? 0 : v.features.length), 0);
    process.stdout.write(
      `Wrote ${out}: ${model.entities.length} entities, ${features} features, ${model.services.length} services.\n`,
    );
    return 0;
  } catch (error) {
    const what = error instanceof RapFSError ? error.message : String(error);
    process.stderr.write(`codegen: reading ${url}'s registry failed: ${what}\n`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      "api-key": { type: "string" },
      out: { type: "string", default: "rapfs.d.ts" },
      help: { type: "boolean", short: "h" },
    },
  });
}

process.exitCode = await main(process.argv.slice(2), process.env);
