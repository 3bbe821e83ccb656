import { errorCodeList, errorCodes } from "../../errors";
import { problemType } from "../errors";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * The reference is Scalar's, run from this server's copy (docs/scalar/<hash>.js) with its fonts and its
 * agent off, so nothing comes from another host (connect-src 'self' holds it to that). Scripts are
 * this server's files alone, no eval (Scalar probes for it and does without). Styles are relaxed
 * to 'unsafe-inline': Scalar's Vue components set style attributes and inject style elements,
 * without a nonce, and a style can neither run code nor reach another host here.
 * Trusted Types stay off (unlike the console): Vue writes innerHTML.
 */
export function docsContentSecurityPolicy(): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'unsafe-inline'`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** A page of its own: `root` leads from it to the server's root (its icon is the console's). */
function htmlPage(title: string, root: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" type="image/svg+xml" href="${root}console/assets/icon.svg">
${head}</head>
<body>
${body}</body>
</html>
`;
}

/** The operations of an OpenAPI document by tag, in its order: what /docs shows before Scalar runs. */
export type DocsOutline = { tag: string; operations: { method: string; path: string; summary: string }[] }[];

type OperationLike = { tags?: string[]; summary?: string };

export function outlineOf(document: { paths?: object }): DocsOutline {
  const byTag = new Map<string, DocsOutline[number]["operations"]>();
  const paths = (document.paths ?? {}) as Record<string, Record<string, OperationLike>>;
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const tag = operation.tags?.[0] ?? "other";
      const list = byTag.get(tag) ?? [];
      list.push({ method: method.toUpperCase(), path, summary: operation.summary ?? "" });
      byTag.set(tag, list);
    }
  }
  return [...byTag].map(([tag, operations]) => ({ tag, operations }));
}

const outlineCss = `
#app > .outline { max-width: 900px; margin: 0 auto; padding: 24px; font: 15px/1.5 system-ui, sans-serif; }
.outline code { font: 13px ui-monospace, monospace; } .outline li { margin: 2px 0; }
`;

/**
 * /docs: the API reference, rendered from openapi.json by Scalar; "try it" keeps the key in the
 * tab. Until Scalar has loaded (a megabyte of script, and seconds of work on a busy machine) the
 * page already lists every operation, served as HTML, which Scalar replaces when it mounts.
 */
export function docsHtml(outline: DocsOutline, scalarUrl: string): string {
  const sections = outline.map(
    ({ tag, operations }) =>
      `<h2>${escapeHtml(tag)}</h2><ul>${operations
        .map((op) => `<li><code>${op.method} ${escapeHtml(op.path)}</code> ${escapeHtml(op.summary)}</li>`)
        .join("")}</ul>`,
  );
  return htmlPage(
    "rapfs API reference",
    "",
    `<style>${outlineCss}</style>
`,
    `<div id="app"><div class="outline">
<h1>rapfs API reference</h1>
<p role="status">Loading the interactive reference… Meanwhile, every operation is listed here; the whole
document is <a href="openapi.json">openapi.json</a>, and the error types are at <a href="docs/problems">problem types</a>.</p>
${sections.join("\n")}
</div></div>
<script src="${scalarUrl}"></script>
<script type="module" src="console/assets/api-docs.js"></script>
`,
  );
}

export const problemsCss = `
:root { color-scheme: light dark; }
body { margin: 0 auto; max-width: 900px; padding: 24px; font: 15px/1.5 system-ui, sans-serif; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #8888; padding: 4px 8px; text-align: left; }
tr:target { background: #ffd33d55; }
`;

/** /docs/problems: what every problem `type` links to, one row per error code. */
export function problemsHtml(): string {
  const rows = errorCodeList.map((code) => {
    const { status, title } = errorCodes[code];
    const anchor = problemType(code).split("#")[1] ?? code;
    return `<tr id="${anchor}"><td><code>${code}</code></td><td>${status}</td><td>${escapeHtml(title)}</td></tr>`;
  });
  return htmlPage(
    "rapfs problem types",
    "../",
    `<link rel="stylesheet" href="problems.css">
`,
    `<h1>Problem types</h1>
<p>Every error is <code>application/problem+json</code> (RFC 9457); its <code>type</code> links to its row
here and <code>code</code> is stable for programs. Field problems are listed in <code>errors[]</code>.
The routes are in the <a href="../docs">API reference</a>.</p>
<table><tr><th>code</th><th>status</th><th>title</th></tr>${rows.join("")}</table>
`,
  );
}
