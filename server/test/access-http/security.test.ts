import { afterAll, describe, expect, it } from "vitest";
import { OPEN_ROUTES, routeAccess } from "../../src/access/route-access";
import type { Scope } from "../../src/access/scopes";
import { noProgress } from "../../src/log/progress";
import { startServer } from "../../src/runtime/start-server";
import { describeAuthenticatedRoute } from "../access/security-cases";
import { capturingLogger, testConfig } from "../api/harness";
import { embeddedDataDir } from "../support/databases";

type Operation = {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, unknown>;
};
type Document = { paths: Record<string, Record<string, Operation>> };

// The app exactly as `rapfs start` builds it, so routes added by anyone are in its document.
const { logger } = capturingLogger();
const running = await startServer({
  config: { ...testConfig(), host: "127.0.0.1", port: 0, corpus: { scale: 0.004, seed: 3 } },
  // Every case below is a failed authentication from the one address app.request has.
  env: { RAPFS_FAILED_AUTH_PER_MINUTE: "1000000" },
  logger,
  handleSignals: false,
  progress: noProgress,
  loadDataDir: await embeddedDataDir({ migrate: false }),
});
await running.prepared;
afterAll(() => running.shutdown());

const doc = (await (await running.app.request("/openapi.json")).json()) as Document;
const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
);
// `{}` among the requirements means the key is optional (/metrics without a token).
const authenticated = operations.filter(
  ({ operation: { security = [] } }) =>
    security.length > 0 && security.every((requirement) => Object.keys(requirement).length > 0),
);

/** Any value for each path parameter: the guard refuses before anything is validated. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, "1");

describe("the OpenAPI document", () => {
  it("lists every /v1 operation as authenticated except signup, from the scope table", () => {
    expect(authenticated.length).toBeGreaterThanOrEqual(8);
    for (const { path, method, operation } of operations) {
      const access = routeAccess(method, path);
      expect(access.kind, `${method} ${path} has no rule in route-access.ts`).not.toBe("unmapped");
      if (!path.startsWith("/v1/")) {
        const listed = OPEN_ROUTES.some((r) => r.path === path) || path === "/metrics";
        expect(listed, `${method} ${path} is outside /v1 and not in the open allowlist`).toBe(true);
        continue;
      }
      if (access.kind === "open") {
        expect(operation.security).toEqual([]);
        continue;
      }
      const roles = access.kind === "key" && access.scope ? [access.scope] : [];
      expect(operation.security).toEqual([{ bearerAuth: roles }, { apiKeyHeader: roles }]);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["401", "403", "429"]));
    }
  });
});

for (const { path, method, operation } of authenticated) {
  const scope = (operation.security?.[0]?.bearerAuth?.[0] ?? null) as Scope | null;
  describeAuthenticatedRoute(`${method} ${path}`, () => ({
    access: running.services.access,
    scope,
    send: (headers) =>
      running.app.request(concrete(path), {
        method,
        headers: { ...headers, "content-type": "application/json" },
        ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
      }),
  }));
}
