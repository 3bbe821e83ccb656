import { describe, expect, it } from "vitest";
import { documentedDiagram, folderDiagram } from "../../scripts/architecture/diagram";
import { cyclesOf, folderGraph, folderOf, sourceImports } from "../../scripts/architecture/imports";

// The domain knows nothing of HTTP, of the start-up wiring or of the command line.
const DOMAIN = [
  "access",
  "config",
  "corpus",
  "datasets",
  "db",
  "definitions",
  "errors",
  "health",
  "log",
  "materialize",
  "metrics",
  "online",
  "registry",
  "serving",
];
const ABOVE_THE_DOMAIN = ["api", "runtime", "cli"];

describe("server/src boundaries", () => {
  const imports = sourceImports();

  it("reads the imports it checks", () => {
    expect(imports.length).toBeGreaterThan(300);
    expect(imports).toContainEqual({ from: "api/app.ts", to: "api/env" });
  });

  it("no domain folder imports the api, the runtime or the CLI", () => {
    const crossings = imports
      .filter(({ from, to }) => DOMAIN.includes(folderOf(from)) && ABOVE_THE_DOMAIN.includes(folderOf(to)))
      .map(({ from, to }) => `${from} → ${to}`);
    expect(crossings).toEqual([]);
  });

  it("the errors module imports nothing of the project", () => {
    expect(
      imports.filter(({ from, to }) => folderOf(from) === "errors" && folderOf(to) !== "errors"),
    ).toEqual([]);
  });

  it("no import cycle between folders", () => {
    expect(cyclesOf(folderGraph(imports)).map((cycle) => cycle.join(" → "))).toEqual([]);
  });

  it("finds a cycle where there is one", () => {
    const graph = folderGraph([
      { from: "serving/a.ts", to: "api/errors" },
      { from: "api/env.ts", to: "serving/index" },
    ]);
    expect(cyclesOf(graph).map((cycle) => cycle.join(" → "))).toEqual(["serving → api → serving"]);
  });
});

describe("docs/architecture.md", () => {
  it("shows the folder graph as the imports make it (pnpm architecture redraws it)", () => {
    expect(documentedDiagram()).toBe(folderDiagram());
  });
});
