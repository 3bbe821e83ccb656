import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * PGlite's WebAssembly compiled and its file-system bundle read, to hand to PGlite.create: a
 * thread started ahead of its data does this work while the main thread loads the server. Where
 * the package's files cannot be found (a thread bundled at run time, with no file URL to resolve
 * from), PGlite finds and compiles them itself.
 */
export async function compiledPglite(): Promise<{
  pgliteWasmModule?: WebAssembly.Module;
  initdbWasmModule?: WebAssembly.Module;
  fsBundle?: Blob;
}> {
  try {
    const dist = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
    const read = async (name: string) => new Uint8Array(await readFile(join(dist, name)));
    const [pglite, initdb, bundle] = await Promise.all(
      ["pglite.wasm", "initdb.wasm", "pglite.data"].map(read),
    );
    const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
      WebAssembly.compile(pglite as Uint8Array<ArrayBuffer>),
      WebAssembly.compile(initdb as Uint8Array<ArrayBuffer>),
    ]);
    return { pgliteWasmModule, initdbWasmModule, fsBundle: new Blob([bundle as Uint8Array<ArrayBuffer>]) };
  } catch {
    return {};
  }
}
