import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { GENERATED_PATH, generateOpenApiTypes } from "../scripts/openapi-types";

// A route changed without `pnpm --filter @rapfs/sdk generate` fails here, in CI, not in a user's build.
it("src/generated/openapi.ts matches the server's current OpenAPI document", {
  timeout: 60_000,
}, async () => {
  const checkedIn = readFileSync(GENERATED_PATH, "utf8");
  const fresh = await generateOpenApiTypes();
  expect(fresh === checkedIn, "the SDK's types are stale: run `pnpm --filter @rapfs/sdk generate`").toBe(
    true,
  );
});
