import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const NOTEBOOKS_DIR = fileURLToPath(new URL("../../notebooks/", import.meta.url));
export const NOTEBOOKS = ["quickstart.ipynb", "pandas-rest.ipynb"];
const runner = fileURLToPath(new URL("../test/support/run-notebook.py", import.meta.url));

/**
 * The Python that runs Jupyter: RAPFS_PYTHON (a venv with pyarrow, say), else Debian's python3
 * (where apt installs nbclient, ipykernel and pandas), not a pyenv shim found first on PATH.
 */
export const notebookPython = (): string =>
  process.env.RAPFS_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");

/** Why Jupyter cannot run the notebooks here, or undefined when it can. */
export function missingJupyter(python = notebookPython()): string | undefined {
  try {
    execFileSync(python, ["-c", "import nbclient, nbformat, ipykernel, pandas"], { stdio: "pipe" });
    return undefined;
  } catch (error) {
    return `${python} lacks nbclient/ipykernel/pandas (apt-get install python3-nbclient python3-ipykernel python3-pandas; .ci/run does): ${String(error).split("\n")[0]}`;
  }
}

/** Whether the Parquet cell can run (pyarrow importable), or will say it skips Parquet. */
export function hasPyarrow(python = notebookPython()): boolean {
  try {
    execFileSync(python, ["-c", "import pyarrow"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

/**
 * A Jupyter data directory under `work` with the notebooks' two kernels: Deno's is the `deno` dev
 * dependency's binary (its npm package ships it), so neither `deno` on PATH nor `deno jupyter
 * --install` is needed; Python's is notebookPython(), so a venv's pyarrow is the kernel's too
 * (Debian's own spec names /usr/bin/python3).
 */
export function kernels(work: string): string {
  const deno = createRequire(import.meta.url)("deno/install_api.cjs").runInstall() as string;
  const jupyterPath = join(work, "jupyter");
  const spec = (name: string, kernel: object) => {
    mkdirSync(join(jupyterPath, "kernels", name), { recursive: true });
    writeFileSync(join(jupyterPath, "kernels", name, "kernel.json"), JSON.stringify(kernel));
  };
  spec("deno", {
    argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  });
  spec("python3", {
    argv: [notebookPython(), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    display_name: "Python 3",
    language: "python",
  });
  return jupyterPath;
}

/** Executes one notebook in its own kernel against a server; writes the executed copy to `out`. */
export async function executeNotebook(
  name: string,
  out: string,
  options: { work: string; baseUrl: string; apiKey: string; timeoutMs?: number },
): Promise<void> {
  await promisify(execFile)(notebookPython(), [runner, join(NOTEBOOKS_DIR, name), out], {
    env: {
      ...process.env,
      RAPFS_BASE_URL: options.baseUrl,
      RAPFS_API_KEY: options.apiKey,
      JUPYTER_PATH: join(options.work, "jupyter"),
      JUPYTER_RUNTIME_DIR: join(options.work, "runtime"),
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
      NO_COLOR: "1",
    },
    timeout: options.timeoutMs ?? 120_000,
  });
}
