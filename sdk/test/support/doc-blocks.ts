import { readFileSync } from "node:fs";

export type DocBlock = {
  lang: string;
  code: string;
  /** Text the block's output must contain, from `<!-- tested output="…" -->`. */
  output: string | undefined;
  /** 1-based line of the opening fence, for messages. */
  line: number;
};

const MARK = /^<!-- tested(?: output="((?:[^"\\]|\\.)*)")? -->\s*$/;

/** The fenced blocks of a markdown file marked `<!-- tested -->` on the line before them. */
export function testedBlocks(path: string): DocBlock[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const mark = MARK.exec(lines[i] ?? "");
    const fence = /^```(\w+)\s*$/.exec(lines[i + 1] ?? "");
    if (!mark) continue;
    if (!fence) throw new Error(`${path}:${i + 1}: <!-- tested --> is not followed by a fenced block`);
    const end = lines.findIndex((l, j) => j > i + 1 && l.startsWith("```"));
    if (end < 0) throw new Error(`${path}:${i + 2}: unclosed block`);
    blocks.push({
      lang: fence[1] as string,
      code: lines.slice(i + 2, end).join("\n"),
      output: mark[1]?.replace(/\\(.)/g, "$1"),
      line: i + 2,
    });
    i = end;
  }
  return blocks;
}

export const blockMarker = (n: number) => `@@@ block ${n} @@@`;

/** Splits combined output at the markers printed before each block. */
export function splitOutput(output: string, count: number): string[] {
  const parts: string[] = [];
  for (let n = 0; n < count; n++) {
    const start = output.indexOf(blockMarker(n));
    const next = output.indexOf(blockMarker(n + 1));
    parts.push(start < 0 ? "" : output.slice(start + blockMarker(n).length, next < 0 ? undefined : next));
  }
  return parts;
}
