import { parseAllDocuments } from "yaml";

/** One YAML document of a file: its value, or why it has none (`yamlProblem`'s messages). */
export type YamlDocument =
  | { value: unknown; problems?: undefined }
  | { problems: string[]; value?: undefined };

const MEMO_LIMIT = 64;
const memo = new Map<string, YamlDocument[]>();

/**
 * The documents of a definitions file, parsed once per text: a catalog is checked file by file
 * on every apply, check and reload, and all but the edited file are the same text as last time
 * (YAML parsing was most of compiling the shipped catalog). Each call gets values of its own.
 */
export function yamlDocuments(text: string): YamlDocument[] {
  let documents = memo.get(text);
  if (documents) memo.delete(text);
  else documents = parseDocuments(text);
  memo.set(text, documents);
  if (memo.size > MEMO_LIMIT) memo.delete(memo.keys().next().value as string);
  return documents.map((doc) => (doc.problems ? doc : { value: structuredClone(doc.value) }));
}

function parseDocuments(text: string): YamlDocument[] {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  if (!Array.isArray(docs)) return []; // an empty stream
  return docs.map((doc): YamlDocument => {
    if (doc.errors.length > 0) return { problems: doc.errors.map((error) => yamlProblem(error, text)) };
    // Parsing can succeed and building the value still fail: an alias before its anchor, or one
    // that expands past yaml's alias limit.
    try {
      return { value: doc.toJS() };
    } catch (error) {
      return { problems: [yamlProblem(error as Error, text)] };
    }
  });
}

export function yamlProblem(error: Error & { linePos?: readonly { line: number }[] }, text: string): string {
  const first = (error.message.split("\n")[0] ?? "").replace(/:\s*$/, "");
  const line = error.linePos?.[0]?.line;
  const source = line === undefined ? "" : (text.split("\n")[line - 1] ?? "").trim();
  return source
    ? `${first}: ${JSON.stringify(source.length > 80 ? `${source.slice(0, 79)}…` : source)}`
    : first;
}
