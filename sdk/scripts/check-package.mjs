#!/usr/bin/env node
// Checks the package as it would be published: packs it with pnpm (which applies publishConfig),
// installs the tarball into a scratch consumer, loads it with require() and import(), and lints
// it with publint and @arethetypeswrong/cli. Run after `pnpm run build`.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const sdkDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(join(tmpdir(), "rapfs-sdk-check-"));
const run = (cmd, args, cwd = sdkDir) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
// The pnpm that runs this script, even when it is not on PATH (e.g. started through npx).
const execPath = process.env.npm_execpath ?? "";
const pnpm = (args) => {
  if (!/pnpm/.test(execPath)) return run("pnpm", args);
  return /\.[cm]?js$/.test(execPath) ? run(process.execPath, [execPath, ...args]) : run(execPath, args);
};
const bin = (name) => join(sdkDir, "node_modules", ".bin", name);

function step(name, fn) {
  try {
    const out = fn();
    console.log(`ok   ${name}${out ? `\n${out.trimEnd().replace(/^/gm, "     ")}` : ""}`);
  } catch (error) {
    console.error(
      `FAIL ${name}\n${error.stdout ?? ""}${error.stderr ?? ""}${error.stdout ? "" : error.message}`,
    );
    rmSync(work, { recursive: true, force: true });
    process.exit(1);
  }
}

const smoke = (load) => `
const sdk = ${load};
const fetch = async (url, init) => {
  if (url.endsWith("/missing")) {
    return new Response(JSON.stringify({ title: "Not Found", status: 404, request_id: "req-1" }), {
      status: 404,
      headers: { "content-type": "application/problem+json" },
    });
  }
  if (url.includes("/download")) return new Response("track_id\\n1\\n", { headers: { "content-type": "text/csv" } });
  return Response.json({ url, auth: init.headers.get("authorization") });
};
const client = new sdk.RapFS({ apiKey: "k", baseURL: "http://rapfs.test", fetch, maxRetries: 0 });
const body = await client.get("/health");
if (body.url !== "http://rapfs.test/health" || body.auth !== "Bearer k") throw new Error("bad response " + JSON.stringify(body));
const error = await client.get("/missing").catch((e) => e);
if (!(error instanceof sdk.NotFoundError) || !(error instanceof sdk.APIError) || error.requestId !== "req-1") {
  throw new Error("bad error " + error);
}
const target = ${JSON.stringify(join(work, "download"))} + (typeof require === "undefined" ? ".esm.csv" : ".cjs.csv");
const written = await client.datasets.download("public", { format: "csv" }).toFile(target);
if (written !== 11) throw new Error("toFile wrote " + written + " bytes");
console.log(sdk.VERSION);
`;

let tarball;
let pkgDir;
step("pack (publishConfig applied)", () => {
  pnpm(["pack", "--pack-destination", work]);
  tarball = join(
    work,
    readdirSync(work).find((f) => f.endsWith(".tgz")),
  );
  const consumer = join(work, "consumer");
  pkgDir = join(consumer, "node_modules", "@rapfs", "sdk");
  mkdirSync(pkgDir, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", pkgDir, "--strip-components=1"]);
  writeFileSync(join(consumer, "package.json"), '{ "name": "consumer", "private": true }\n');
  writeFileSync(
    join(consumer, "require.cjs"),
    `(async () => {${smoke('require("@rapfs/sdk")')}})().catch((e) => { console.error(e); process.exit(1); });`,
  );
  writeFileSync(join(consumer, "import.mjs"), smoke('await import("@rapfs/sdk")'));
  return readdirSync(join(pkgDir, "dist")).join(" ");
});
step("require('@rapfs/sdk') from CommonJS", () =>
  run(process.execPath, ["require.cjs"], join(work, "consumer")),
);
step("import('@rapfs/sdk') from ESM", () => run(process.execPath, ["import.mjs"], join(work, "consumer")));
step("no Node built-in imports in the bundles", () => {
  for (const file of ["index.js", "index.cjs"]) {
    const code = readFileSync(join(pkgDir, "dist", file), "utf8");
    const found = code.match(/(?:from\s*|require\()\s*["'](node:[\w/]+|[\w@/.-]+)["']/);
    if (found) throw new Error(`${file} imports ${found[1]}`);
  }
});
step("publint --strict", () => run(bin("publint"), ["--strict", pkgDir]));
step("attw (are the types wrong)", () => run(bin("attw"), ["--format", "table-flipped", tarball]));

rmSync(work, { recursive: true, force: true });
console.log("package checks passed");
