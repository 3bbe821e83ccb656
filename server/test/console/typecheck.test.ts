import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The console ships as plain JS modules (no build step), typed with JSDoc; this is its
 * `tsc --noEmit`, run with the tests so a type error fails CI like one in the server.
 */
describe("console scripts", () => {
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
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where =
        d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const file = d.file ? `${d.file.fileName}:${(where?.line ?? 0) + 1}: ` : "";
      return `${file}${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(problems).toEqual([]);
  });
});
