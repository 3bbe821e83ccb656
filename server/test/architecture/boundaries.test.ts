import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { documentedDiagram, FOUNDATION, folderDiagram } from "../../scripts/architecture/diagram";
import {
  cyclesOf,
  folderGraph,
  folderOf,
  SOURCE_ROOT,
  sourceFiles,
  sourceImports,
} from "../../scripts/architecture/imports";

const ABOVE_THE_DOMAIN = ["api", "runtime", "cli", "usecases"];
// The domain knows nothing of HTTP, of the start-up wiring or of the command line: every folder of
// server/src that is not above it, computed, so a new folder is held to the rule from its first file.
const DOMAIN = [...new Set(sourceFiles().map(folderOf))].filter(
  (folder) => !ABOVE_THE_DOMAIN.includes(folder),
);

/** Imports from the HTTP layer into anything but the use cases and the foundation. */
const httpCrossings = (imports: { from: string; to: string }[]) =>
  imports
    .filter(({ from }) => folderOf(from) === "api")
    .filter(({ to }) => !["api", "usecases", ...FOUNDATION].includes(folderOf(to)))
    .map(({ from, to }) => `${from} → ${to}`);

/** Files that call the online feature read or resolver: a lookup implemented there. */
const LOOKUP_CALL = /\bfeatures\s*\.\s*(read|resolve)\s*\(/;
const lookupsOutsideUseCases = (files: { path: string; text: string }[]) =>
  files
    .filter(({ path }) => !["usecases", "serving"].includes(folderOf(path)))
    .filter(({ text }) => LOOKUP_CALL.test(text))
    .map(({ path }) => path);

/**
 * Quota spent anywhere but through the request's Payer: the gate's spending methods called by
 * anything but the Payer (usecases/payer.ts) and the access folder itself, or any spend, settle
 * or refund made by the HTTP layer.
 */
const GATE_SPEND = /\bgate(?:\(\))?\s*\.\s*(admit|spend|settle|refund|authorize)\s*\(/;
const ANY_SPEND = /\.\s*(spend|spendWhile|spendFor|settle|refund)\s*\(/;
const spendsOutsideThePayer = (files: { path: string; text: string }[]) =>
  files
    .filter(({ path }) => folderOf(path) !== "access" && path !== join("usecases", "payer.ts"))
    .filter(({ path, text }) => GATE_SPEND.test(text) || (folderOf(path) === "api" && ANY_SPEND.test(text)))
    .map(({ path }) => path);

const sourceTexts = () =>
  sourceFiles().map((path) => ({ path, text: readFileSync(join(SOURCE_ROOT, path), "utf8") }));

describe("server/src boundaries", () => {
  const imports = sourceImports();

  it("reads the imports it checks", () => {
    expect(imports.length).toBeGreaterThan(300);
    expect(imports).toContainEqual({ from: "api/app.ts", to: "api/env" });
  });

  it("holds every folder below the use cases to the domain's rules, new ones included", () => {
    expect(DOMAIN).toEqual(expect.arrayContaining(["freshness", "ingest", "serving", "datasets", "access"]));
    expect(DOMAIN).not.toEqual(expect.arrayContaining(["api"]));
  });

  it("no domain folder imports the api, the runtime or the CLI", () => {
    const crossings = imports
      .filter(({ from, to }) => DOMAIN.includes(folderOf(from)) && ABOVE_THE_DOMAIN.includes(folderOf(to)))
      .map(({ from, to }) => `${from} → ${to}`);
    expect(crossings).toEqual([]);
  });

  it("the use cases know nothing of HTTP, the runtime or the CLI", () => {
    const upward = imports
      .filter(
        ({ from, to }) => folderOf(from) === "usecases" && ["api", "runtime", "cli"].includes(folderOf(to)),
      )
      .map(({ from, to }) => `${from} → ${to}`);
    expect(upward).toEqual([]);
  });

  it("the HTTP layer reaches the domain only through the use cases", () => {
    expect(httpCrossings(imports)).toEqual([]);
  });

  it("fails on a route that imports a domain folder", () => {
    const route = { from: "api/routes/features/get.ts", to: "serving/index" };
    expect(httpCrossings([...imports, route])).toEqual(["api/routes/features/get.ts → serving/index"]);
  });

  it("one lookup: only the use cases call the feature read and resolver", () => {
    const files = sourceFiles().map((path) => ({
      path,
      text: readFileSync(join(SOURCE_ROOT, path), "utf8"),
    }));
    expect(files.filter(({ path }) => path.startsWith("usecases")).length).toBeGreaterThan(3);
    expect(lookupsOutsideUseCases(files)).toEqual([]);
    // The lane is a door onto the route's own use case.
    const lane = files.find(({ path }) => path === join("api", "lanes", "feature-lookup.ts"));
    expect(lane?.text).toMatch(/useCases\.features\.lookup\(/);
  });

  it("fails on a second implementation of the lookup", () => {
    const lane = {
      path: join("api", "lanes", "feature-lookup.ts"),
      text: "const table = await services.serving.features.read(resolution, [id]);",
    };
    expect(lookupsOutsideUseCases([lane])).toEqual([lane.path]);
  });

  it("every spend goes through the request's Payer", () => {
    const files = sourceTexts();
    expect(files.filter(({ text }) => GATE_SPEND.test(text)).map(({ path }) => path)).toContain(
      join("usecases", "payer.ts"),
    );
    expect(spendsOutsideThePayer(files)).toEqual([]);
  });

  it("fails on a spend outside the Payer: bytes settled by a route, the gate spent by a use case", () => {
    const route = {
      path: join("api", "routes", "datasets", "respond.ts"),
      text: "if (sent > 1) void payer.settle({ bytes: sent - 1 });",
    };
    const useCase = {
      path: join("usecases", "admission.ts"),
      text: "const result = await gate().authorize(presented, scope, cost);",
    };
    expect(spendsOutsideThePayer([route, useCase])).toEqual([route.path, useCase.path]);
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
  it("names stops of its walks that are in the code (file:function)", () => {
    const page = readFileSync(join(SOURCE_ROOT, "../../docs/architecture.md"), "utf8");
    const stops = [...page.matchAll(/`([a-z-]+\/[\w/.-]+\.ts):(\w+(?:\.\w+)?)`/g)];
    expect(stops.length).toBeGreaterThan(25);
    const missing = stops
      .map(([, file, name]) => ({ file: file as string, name: (name as string).split(".").at(-1) as string }))
      .filter(({ file, name }) => {
        try {
          return !new RegExp(`\\b${name}\\b`).test(readFileSync(join(SOURCE_ROOT, file), "utf8"));
        } catch {
          return true;
        }
      })
      .map(({ file, name }) => `${file}:${name}`);
    expect(missing).toEqual([]);
  });

  it("shows the folder graph as the imports make it (pnpm architecture redraws it)", () => {
    expect(documentedDiagram()).toBe(folderDiagram());
  });
});
