import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import wabt from "wabt";

export const WAT_PATH = fileURLToPath(
  new URL("../../src/serving/search/vector-kernel/dot-i8.wat", import.meta.url),
);
export const GENERATED_PATH = fileURLToPath(
  new URL("../../src/serving/search/vector-kernel/dot-i8-wasm.ts", import.meta.url),
);

/** dot-i8.wat compiled by wabt (a development dependency: the server loads the committed bytes). */
export async function compileKernel(): Promise<Uint8Array> {
  const toolkit = await wabt();
  const module = toolkit.parseWat(WAT_PATH, readFileSync(WAT_PATH, "utf8"), { simd: true });
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** The TypeScript module that carries the kernel's bytes, as `pnpm vector-kernel:generate` writes it. */
export function renderKernelModule(bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes).toString("base64");
  return [
    "// Generated from dot-i8.wat by `pnpm vector-kernel:generate`; do not edit.",
    "export const DOT_I8_WASM =",
    `  "${base64}";`,
    "",
  ].join("\n");
}
