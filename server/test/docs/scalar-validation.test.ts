import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { expect, it } from "vitest";
import { openApiDocument } from "../../src/runtime/openapi-document";

type Store = { addDocument(input: { name: string; document: Record<string, unknown> }): Promise<boolean> };
type ValidationError = { message: string; path: string };

/**
 * Scalar checks a document as it loads it, in @scalar/workspace-store (its strict OpenAPI schema,
 * after bundling and coercion), and logs what fails as "document validation errors" in the
 * reader's console. The store is the one the served bundle's package depends on, so the check is
 * the bundle's own.
 */
async function scalarValidationErrors(document: Record<string, unknown>): Promise<ValidationError[]> {
  const reference = createRequire(import.meta.url).resolve("@scalar/api-reference/browser/standalone.js");
  const client = createRequire(reference).resolve("@scalar/workspace-store/client");
  const { createWorkspaceStore } = (await import(pathToFileURL(client).href)) as {
    createWorkspaceStore: () => Store;
  };
  const warnings: unknown[][] = [];
  const { warn, info } = console;
  console.warn = (...args: unknown[]) => warnings.push(args);
  console.info = () => {};
  try {
    await createWorkspaceStore().addDocument({ name: "rapfs", document });
  } finally {
    console.warn = warn;
    console.info = info;
  }
  const errors = warnings.find((args) => Array.isArray(args[0]))?.[0] as ValidationError[] | undefined;
  return (errors ?? []).map(({ message, path }) => ({ message, path }));
}

it("the served OpenAPI document passes Scalar's own document check", { timeout: 60_000 }, async () => {
  expect(await scalarValidationErrors(await openApiDocument())).toEqual([]);
});

it("the check finds a typeless schema inside a component another component refers to", async () => {
  const document = {
    openapi: "3.1.0",
    info: { title: "t", version: "1" },
    paths: {},
    components: {
      schemas: {
        Outer: { type: "object", properties: { inner: { $ref: "#/components/schemas/Inner" } } },
        Inner: { type: "object", properties: { value: {} } },
      },
    },
  };
  expect(await scalarValidationErrors(document)).toEqual([
    { message: "Expected union value", path: "/components/schemas/Inner" },
  ]);
});
