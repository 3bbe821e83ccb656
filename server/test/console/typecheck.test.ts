import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

type Snippets = (d: { name: string; url: string; file: string; format: string; limit: string }) => {
  title: string;
  code: string;
}[];
// The browser module, loaded as it is served (JS without declarations: typed here, not inferred).
const DATASETS_VIEW = "../../src/console/assets/views/datasets.js";
const { snippets } = (await import(DATASETS_VIEW)) as { snippets: Snippets };

const messages = (diagnostics: readonly ts.Diagnostic[]) =>
  diagnostics.map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const file = d.file ? `${d.file.fileName}:${(where?.line ?? 0) + 1}: ` : "";
    return `${file}${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });

describe("console scripts", () => {
  // The console ships as plain JS modules (no build step), typed with JSDoc: this is their
  // `tsc --noEmit`, run with the tests so a type error fails CI like one in the server.
  it("type-check under strict TypeScript with the DOM types", () => {
    const configPath = fileURLToPath(new URL("../../src/console/tsconfig.json", import.meta.url));
    const config = ts.getParsedCommandLineOfConfigFile(
      configPath,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
        },
      },
    );
    if (!config) throw new Error(`cannot read ${configPath}`);
    expect(config.fileNames.length).toBeGreaterThanOrEqual(10);
    const program = ts.createProgram(config.fileNames, config.options);
    expect(messages(ts.getPreEmitDiagnostics(program))).toEqual([]);
  });

  it("offer a TypeScript download snippet that compiles against the SDK as it is", () => {
    const shown = snippets({
      name: "public",
      url: "http://127.0.0.1:8080/v1/datasets/public/download?format=csv&limit=25",
      file: "public.csv",
      format: "csv",
      limit: "25",
    });
    const code = shown.find((s) => s.title.startsWith("TypeScript"))?.code ?? "";
    expect(code).toContain("@rapfs/sdk");
    const snippetFile = fileURLToPath(new URL("./snippet.ts", import.meta.url));
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      types: ["node"],
      paths: { "@rapfs/sdk": [fileURLToPath(new URL("../../../sdk/src/index.ts", import.meta.url))] },
    };
    const host = ts.createCompilerHost(options);
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, ...rest) =>
      name === snippetFile
        ? ts.createSourceFile(name, `${code}\nexport {};\n`, version)
        : read(name, version, ...rest);
    host.fileExists = (
      (exists) => (name: string) =>
        name === snippetFile || exists(name)
    )(host.fileExists);
    const program = ts.createProgram([snippetFile], options, host);
    const own = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === snippetFile || !d.file);
    expect(messages(own)).toEqual([]);
  });
});
