// @ts-check
/**
 * The /docs page's script: renders openapi.json into operations with schemas and a "try it"
 * form. It lives with the console's assets and builds its DOM with the console's helper, so
 * untrusted text only ever reaches the page as text nodes and attribute values.
 */
import { h } from "./dom.js";

/** An OpenAPI document and its parts, read as JSON: any shape the server's document has. */
/** @typedef {any} Json */

/** @type {Json} */
let spec;

/** @param {Json} schema @returns {Json} */
function resolve(schema) {
  let seen = 0;
  while (schema?.$ref && seen++ < 20) {
    const name = schema.$ref.split("/").pop();
    schema = spec.components?.schemas?.[name];
  }
  return schema || {};
}

/** @param {Json} schema @returns {string} */
const refName = (schema) => (schema?.$ref ? schema.$ref.split("/").pop() : "");

/** @param {Json} s @returns {string} */
function typeOf(s) {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((/** @type {unknown} */ v) => JSON.stringify(v)).join(" | ");
  if (Array.isArray(s.type)) return s.type.join(" | ");
  return s.type || (s.anyOf || s.oneOf ? "" : "any");
}

/** @param {Json} s @returns {string} */
function constraints(s) {
  const out = [];
  if (s.format) out.push(s.format);
  if (s.minimum !== undefined) out.push(`>= ${s.minimum}`);
  if (s.maximum !== undefined) out.push(`<= ${s.maximum}`);
  if (s.minLength !== undefined) out.push(`length >= ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`length <= ${s.maxLength}`);
  if (s.minItems !== undefined) out.push(`items >= ${s.minItems}`);
  if (s.maxItems !== undefined) out.push(`items <= ${s.maxItems}`);
  if (s.pattern) out.push(`/${s.pattern}/`);
  if (s.default !== undefined) out.push(`default ${JSON.stringify(s.default)}`);
  return out.length ? `  (${out.join(", ")})` : "";
}

/** @param {Json} schema @param {number} indent @param {number} depth @returns {string} */
function describe(schema, indent, depth) {
  const name = refName(schema);
  const s = resolve(schema);
  const pad = "  ".repeat(indent);
  if (depth > 6) return name || "…";
  const variants = s.anyOf || s.oneOf;
  if (variants) return variants.map((/** @type {Json} */ v) => describe(v, indent, depth + 1)).join(" | ");
  if (s.type === "array" && s.items) return `Array<${describe(s.items, indent, depth + 1)}>${constraints(s)}`;
  if (s.type === "object" || s.properties) {
    const required = s.required || [];
    const lines = Object.keys(s.properties || {}).map((key) => {
      const prop = s.properties[key];
      const doc = resolve(prop).description;
      return `${pad}  ${key}${required.includes(key) ? "" : "?"}: ${describe(prop, indent + 1, depth + 1)}${constraints(resolve(prop))}${doc ? `   // ${doc}` : ""}`;
    });
    if (s.additionalProperties && !s.properties) {
      lines.push(`${pad}  [key: string]: ${describe(s.additionalProperties, indent + 1, depth + 1)}`);
    }
    return `${name ? `${name} ` : ""}{\n${lines.join("\n")}\n${pad}}`;
  }
  return (name && !s.enum ? `${name}: ` : "") + typeOf(s);
}

/** @param {Json} schema @param {number} depth @returns {unknown} */
function example(schema, depth) {
  const s = resolve(schema);
  if (depth > 6) return null;
  if (s.example !== undefined) return s.example;
  if (s.examples?.length) return s.examples[0];
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (s.anyOf || s.oneOf) return example((s.anyOf || s.oneOf)[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === "array") return s.items ? [example(s.items, depth + 1)] : [];
  if (type === "object" || s.properties) {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const k of Object.keys(s.properties || {})) out[k] = example(s.properties[k], depth + 1);
    return out;
  }
  if (type === "integer" || type === "number") return s.minimum !== undefined ? s.minimum : 0;
  if (type === "boolean") return false;
  if (type === "string") return "";
  return null;
}

/** @param {string} title @param {string} text */
const block = (title, text) => h("div", { class: "block" }, [h("h4", {}, title), h("pre", {}, text)]);

/** @param {string} method */
const methodBadge = (method) => h("span", { class: `method ${method}` }, method.toUpperCase());

/** @param {string} path @param {string} method @param {Json} op */
function tryIt(path, method, op) {
  /** @type {Record<string, HTMLInputElement>} */
  const inputs = {};
  const fields = (op.parameters || []).map((/** @type {Json} */ p) => {
    const s = resolve(p.schema);
    const input = h("input", { name: p.name, placeholder: s.example !== undefined ? String(s.example) : "" });
    inputs[`${p.in}:${p.name}`] = input;
    return h("label", {}, [h("span", {}, `${p.name} (${p.in})${p.required ? " *" : ""}`), input]);
  });
  const json = op.requestBody?.content?.["application/json"];
  const body = json ? h("textarea", { rows: 8 }) : undefined;
  if (body) body.value = JSON.stringify(example(json.schema, 0), null, 2);
  const output = h("pre", { class: "output" });
  const send = (/** @type {SubmitEvent} */ event) => {
    event.preventDefault();
    const url = path.replace(/\{([^}]+)\}/g, (_, name) =>
      encodeURIComponent(inputs[`path:${name}`]?.value ?? ""),
    );
    const query = new URLSearchParams();
    /** @type {Record<string, string>} */
    const headers = {};
    for (const [key, input] of Object.entries(inputs)) {
      if (input.value === "") continue;
      if (key.startsWith("query:")) query.append(key.slice(6), input.value);
      if (key.startsWith("header:")) headers[key.slice(7)] = input.value;
    }
    const apiKey = /** @type {HTMLInputElement} */ (document.getElementById("api-key")).value;
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    if (body) headers["content-type"] = "application/json";
    const started = performance.now();
    output.textContent = "…";
    const target = `.${url}${query.toString() ? `?${query}` : ""}`;
    fetch(target, { method: method.toUpperCase(), headers, body: body ? body.value : undefined })
      .then((res) =>
        res.text().then((text) => {
          let shown = text;
          try {
            shown = JSON.stringify(JSON.parse(text), null, 2);
          } catch {
            // not JSON: shown as it came
          }
          const lines = [`${res.status} ${res.statusText} · ${Math.round(performance.now() - started)} ms`];
          res.headers.forEach((value, name) => {
            lines.push(`${name}: ${value}`);
          });
          output.textContent = `${lines.join("\n")}\n\n${shown}`;
        }),
      )
      .catch((error) => {
        output.textContent = String(error);
      });
  };
  return h("form", { class: "try", onSubmit: send }, [
    ...fields,
    body ? h("label", {}, [h("span", {}, "body (application/json)"), body]) : null,
    h("button", { type: "submit" }, `Send ${method.toUpperCase()} ${path}`),
    output,
  ]);
}

/** @param {string} path @param {string} method @param {Json} op @param {HTMLElement} nav */
function operation(path, method, op, nav) {
  const id = `op-${(op.operationId || method + path).replace(/[^A-Za-z0-9_-]/g, "-")}`;
  const section = h("section", { id, class: "op" }, [
    h("h3", {}, [methodBadge(method), h("code", {}, ` ${path}`)]),
    h("p", { class: "summary" }, op.summary || ""),
    op.description ? h("p", { class: "description" }, op.description) : null,
    op.deprecated ? h("p", { class: "deprecated" }, "Deprecated") : null,
  ]);
  if (op.parameters?.length) {
    const lines = op.parameters.map((/** @type {Json} */ p) => {
      const s = resolve(p.schema);
      const doc = p.description || s.description;
      return `${p.name} (${p.in}${p.required ? ", required" : ""}): ${describe(p.schema, 0, 0)}${constraints(s)}${doc ? `\n    ${doc}` : ""}`;
    });
    section.append(block("Parameters", lines.join("\n")));
  }
  const content = op.requestBody?.content || {};
  for (const type of Object.keys(content)) {
    section.append(block(`Request body · ${type}`, describe(content[type].schema || {}, 0, 0)));
  }
  for (const [status, response] of Object.entries(op.responses || {})) {
    const types = Object.keys(response.content || {});
    const shapes = types.map((type) =>
      // Every error has the same shape; the problem types section describes it once.
      type === "application/problem+json"
        ? `${type}: Problem (see Problem types below)`
        : `${type}: ${describe(response.content[type].schema || {}, 0, 0)}`,
    );
    section.append(
      block(`Response ${status}`, response.description + (types.length ? "\n\n" : "") + shapes.join("\n\n")),
    );
  }
  section.append(h("details", {}, [h("summary", {}, "Try it"), tryIt(path, method, op)]));
  nav.append(h("a", { href: `#${id}` }, [methodBadge(method), ` ${path}`]));
  return section;
}

const root = /** @type {HTMLElement} */ (document.getElementById("operations"));
const nav = /** @type {HTMLElement} */ (document.getElementById("nav"));

fetch("openapi.json")
  .then((res) => res.json())
  .then((doc) => {
    spec = doc;
    /** @type {HTMLElement} */ (document.getElementById("title")).textContent =
      `${doc.info.title || "API"} ${doc.info.version || ""}`;
    /** @type {HTMLElement} */ (document.getElementById("intro")).textContent = doc.info.description || "";
    /** @type {Record<string, [string, string, Json][]>} */
    const byTag = {};
    for (const [path, methods] of Object.entries(doc.paths || {})) {
      for (const [method, op] of Object.entries(/** @type {Record<string, Json>} */ (methods))) {
        const tag = op.tags?.[0] || "other";
        byTag[tag] = [...(byTag[tag] ?? []), [path, method, op]];
      }
    }
    for (const tag of Object.keys(byTag).sort()) {
      root.append(h("h2", {}, tag));
      nav.append(h("h5", {}, tag));
      for (const [path, method, op] of byTag[tag] ?? []) root.append(operation(path, method, op, nav));
    }
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  })
  .catch((error) => {
    root.textContent = `Could not load openapi.json: ${error}`;
  });
