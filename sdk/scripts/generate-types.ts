import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { GENERATED_PATH, generateOpenApiTypes } from "./openapi-types";

writeFileSync(GENERATED_PATH, await generateOpenApiTypes());
process.stdout.write(`wrote ${relative(process.cwd(), GENERATED_PATH)}\n`);
