import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { openApiDocumentForTypes } from "@rapfs/server/src/runtime/openapi-document";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";

export const GENERATED_PATH = fileURLToPath(new URL("../src/generated/openapi.ts", import.meta.url));
const biome = fileURLToPath(new URL("../../node_modules/.bin/biome", import.meta.url));

const HEADER = `// Generated from the server's OpenAPI document by sdk/scripts/generate-types.ts; do not edit.
// Regenerate with \`pnpm --filter @rapfs/sdk generate\` after changing a route.
`;

/** The SDK's types, as generate-types.ts would write them now: generated, then formatted by biome. */
export async function generateOpenApiTypes(): Promise<string> {
  const document = (await openApiDocumentForTypes()) as unknown as OpenAPI3;
  const source = HEADER + astToString(await openapiTS(document, { alphabetize: false }));
  // Formatted like the rest of the repo, so `biome check` passes on the checked-in file.
  return execFileSync(biome, ["format", `--stdin-file-path=${GENERATED_PATH}`], {
    input: source,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
}
