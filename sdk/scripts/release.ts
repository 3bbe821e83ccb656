// `pnpm sdk:release`: publishing @rapfs/sdk as one checked command. It checks the version (the
// package's, the code's VERSION and a CHANGELOG entry agree), packs with npm and runs every package
// check on that tarball (scripts/check-package.ts, the same steps test/package.test.ts runs), then
// hands exactly that tarball to `npm publish --provenance --access public`: a dry run unless
// `--publish` is given. Provenance needs the CI's OIDC token (GitHub Actions with
// `permissions: id-token: write`); the dry run checks everything else anywhere.
// `pnpm sdk:pack` (`--pack-only`) stops after the checks and leaves the tarball for `npm install`.
import { execFile } from "node:child_process";
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { checkPackage, scratch, sdkDir } from "./check-package";

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/** What stands between this version and a release; empty when it may be published. */
export function versionProblems(dir: string = sdkDir): string[] {
  const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string };
  const code = /VERSION = "([^"]+)"/.exec(readFileSync(join(dir, "src", "version.ts"), "utf8"))?.[1];
  const changelog = readFileSync(join(dir, "CHANGELOG.md"), "utf8");
  const entry = changelog.split(/^## /m).find((section) => section.split("\n")[0]?.trim() === version);
  return [
    ...(SEMVER.test(version) ? [] : [`package.json version ${version} is not semver`]),
    ...(code === version ? [] : [`src/version.ts says ${code}, package.json ${version}`]),
    ...(entry?.split("\n").slice(1).join("\n").trim()
      ? []
      : [`CHANGELOG.md has no entry "## ${version}" saying what changed`]),
  ];
}

/** The arguments of the `npm publish` that uploads `tarball`. */
export function publishArgs(tarball: string, options: { dryRun: boolean }): string[] {
  return ["publish", tarball, "--provenance", "--access", "public", ...(options.dryRun ? ["--dry-run"] : [])];
}

async function main(argv: string[]): Promise<void> {
  const problems = versionProblems();
  if (problems.length > 0) {
    console.error(`FAIL version\n${problems.map((p) => `     ${p}`).join("\n")}`);
    process.exit(1);
  }
  console.log("ok   version");
  const work = scratch();
  try {
    const tarball = await checkPackage(work);
    if (argv.includes("--pack-only")) {
      const target = join(process.env.INIT_CWD ?? process.cwd(), basename(tarball));
      copyFileSync(tarball, target);
      console.log(`\nInstall it where you need it:\n  npm install ${target}`);
      return;
    }
    const dryRun = !argv.includes("--publish");
    const { stdout, stderr } = await promisify(execFile)("npm", publishArgs(tarball, { dryRun }), {
      cwd: sdkDir,
    });
    console.log(`${stdout}${stderr}`.trimEnd());
    console.log(
      dryRun ? "\nDry run passed; `pnpm sdk:release --publish` (in CI) uploads it." : "\nPublished.",
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await main(process.argv.slice(2));
