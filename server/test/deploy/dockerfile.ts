import { type Dockerfile, DockerfileParser, type Instruction } from "dockerfile-ast";
import { readRepoFile } from "./support";

export const dockerfileText = () => readRepoFile("Dockerfile");
export const parseDockerfile = (text = dockerfileText()): Dockerfile => DockerfileParser.parse(text);

export type Stage = { name: string | null; image: string; instructions: Instruction[] };

/** The build stages in order, each with its FROM image (ARGs expanded) and its instructions. */
export function stages(dockerfile: Dockerfile): Stage[] {
  const result: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === "FROM") {
      const [image = ""] = instruction.getExpandedArguments().map((arg) => arg.getValue());
      const name = dockerfile
        .getFROMs()
        .find((from) => from.getRange().start.line === instruction.getRange().start.line);
      result.push({ name: name?.getBuildStage() ?? null, image, instructions: [] });
    } else {
      result.at(-1)?.instructions.push(instruction);
    }
  }
  return result;
}

export const args = (instruction: Instruction) =>
  instruction.getExpandedArguments().map((arg) => arg.getValue());

export function stageNamed(all: Stage[], name: string): Stage {
  const stage = all.find((s) => s.name === name);
  if (!stage) throw new Error(`the Dockerfile has no stage ${name}`);
  return stage;
}

export const instructionsOf = (stage: Stage, keyword: string) =>
  stage.instructions.filter((instruction) => instruction.getKeyword() === keyword);

/** The JSON (exec form) arguments of CMD or HEALTHCHECK CMD, or undefined for the shell form. */
export function execForm(instruction: Instruction): string[] | undefined {
  const content = instruction.getArgumentsContent() ?? "";
  const json = content.replace(/^CMD\s+/, "");
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/** `.dockerignore` patterns as regular expressions over context-relative paths. */
export function dockerignore(text: string): RegExp[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#") && !line.startsWith("!"))
    .map((pattern) => {
      const body = pattern
        .replace(/^\/+|\/+$/g, "")
        .split("/")
        .map((part) =>
          part === "**"
            ? ".*"
            : part
                .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                .replace(/\*/g, "[^/]*")
                .replace(/\?/g, "[^/]"),
        )
        .join("/")
        .replace(/\.\*\//g, "(?:.*/)?");
      return new RegExp(`^${body}(?:/.*)?$`);
    });
}

export const isIgnored = (patterns: RegExp[], path: string) => patterns.some((pattern) => pattern.test(path));
