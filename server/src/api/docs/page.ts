import { errorCodeList, errorCodes } from "../../errors";
import { problemType } from "../errors";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const styles = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg2: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #8d96a0; --line: #30363d; --bg2: #161b22; } }
body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: var(--fg); display: grid; grid-template-columns: 280px 1fr; }
nav { position: sticky; top: 0; height: 100vh; overflow: auto; padding: 16px; border-right: 1px solid var(--line); box-sizing: border-box; }
nav a { display: block; font: 13px ui-monospace, monospace; color: inherit; text-decoration: none; padding: 2px 0; }
nav h5 { margin: 14px 0 4px; text-transform: uppercase; color: var(--muted); }
main { padding: 24px 40px; max-width: 1000px; }
pre, textarea, input { font: 13px/1.45 ui-monospace, monospace; }
pre { background: var(--bg2); padding: 10px; overflow: auto; border-radius: 6px; }
.op { border-top: 1px solid var(--line); padding: 12px 0 20px; }
.method { font: bold 12px ui-monospace, monospace; padding: 1px 6px; border-radius: 4px; color: #fff; background: #6e7781; }
.method.get { background: #1f6feb; } .method.post { background: #2da44e; } .method.delete { background: #cf222e; }
.method.put, .method.patch { background: #bf8700; }
.description, .summary { white-space: pre-line; } .deprecated { color: #cf222e; font-weight: bold; }
.try label { display: block; margin: 6px 0; } .try span { display: block; color: var(--muted); font-size: 13px; }
.try input, .try textarea { width: 100%; box-sizing: border-box; }
.try button { margin-top: 8px; padding: 4px 12px; }
table { border-collapse: collapse; } td, th { border: 1px solid var(--line); padding: 4px 8px; text-align: left; }
`;

function problemTable(): string {
  const rows = errorCodeList.map((code) => {
    const { status, title } = errorCodes[code];
    const anchor = problemType(code).split("#")[1] ?? code;
    return `<tr id="${anchor}"><td><code>${code}</code></td><td>${status}</td><td>${escapeHtml(title)}</td></tr>`;
  });
  return `<table><tr><th>code</th><th>status</th><th>title</th></tr>${rows.join("")}</table>`;
}

export const docsHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference</title>
<style>${styles}</style>
</head>
<body>
<nav><strong>Operations</strong><div id="nav"></div><h5>Reference</h5><a href="#problems">Problem types</a><a href="openapi.json">openapi.json</a></nav>
<main>
<h1 id="title">API reference</h1>
<p id="intro"></p>
<p><label>API key for “Try it”: <input id="api-key" type="password" autocomplete="off" size="40"></label></p>
<div id="operations"></div>
<h2 id="problems">Problem types</h2>
<p>Every error is <code>application/problem+json</code> (RFC 9457); its <code>type</code> links here and
<code>code</code> is stable for programs. Field problems are listed in <code>errors[]</code>.</p>
${problemTable()}
</main>
<script type="module" src="console/assets/api-docs.js"></script>
</body>
</html>
`;

/**
 * Scripts from this server only (the page's is a console asset, built with the console's DOM
 * helper), its inline style, and requests to this server only; no string ever turned into HTML.
 */
export const docsContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  // Never framed by another page (clickjacking): the docs can make requests with a pasted key.
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");
