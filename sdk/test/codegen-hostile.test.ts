import ts from "typescript";
import { expect, it } from "vitest";
import { type RegistryModel, renderRegistryTypes } from "../src/codegen/registry-types";

// What a compromised server or a look-alike URL could send: names and numbers built to close a
// comment or a type and run code in the `--out x.ts` output.
const hostile = (dimension: unknown, viewName = "ok"): RegistryModel => ({
  entities: [{ name: "track", key_type: "int", description: "tracks */ globalThis.pwned = 1; /*" }],
  views: [
    {
      name: viewName,
      version: 1,
      entity: "track",
      status: "deprecated",
      is_latest: true,
      features: [{ name: "f", type: "float", description: "*/ globalThis.pwned = 2; /*" }],
    },
  ],
  services: [],
  embeddings: [
    { name: "lyrics", version: 1, entity: "track", status: "active", dimension: dimension as number },
  ],
  datasets: [],
});

/** Syntax errors of the output, and whether running it as JavaScript touches globalThis.pwned. */
function judge(source: string): { errors: string[]; pwned: unknown } {
  const out = ts.transpileModule(source, {
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS },
  });
  const errors = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  const scope = globalThis as { pwned?: unknown };
  delete scope.pwned;
  new Function("exports", "require", out.outputText)({}, () => ({}));
  const pwned = scope.pwned;
  delete scope.pwned;
  return { errors, pwned };
}

it("a name that closes a comment stays inside it: the output compiles and runs nothing", () => {
  const source = renderRegistryTypes(
    hostile(384, "v */ globalThis.pwned = 3; /* x"),
    "the registry of http://x\nglobalThis.pwned = 4;",
  );
  expect(judge(source)).toEqual({ errors: [], pwned: undefined });
});

it("an embedding dimension that is not a positive integer is refused, naming it", () => {
  expect(() => renderRegistryTypes(hostile("1 }; globalThis.pwned = 5; //"), "test")).toThrow(
    /embedding "lyrics" has dimension .* not a positive integer/,
  );
});
