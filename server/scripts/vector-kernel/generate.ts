import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { compileKernel, GENERATED_PATH, renderKernelModule } from "./compile";

writeFileSync(GENERATED_PATH, renderKernelModule(await compileKernel()));
process.stdout.write(`wrote ${relative(process.cwd(), GENERATED_PATH)}\n`);
