/**
 * The docs page's script, inline so /docs needs nothing but this server (offline deployments,
 * no CDN). It renders openapi.json into operations with schemas and a "try it" form.
 * Untrusted text only ever reaches the DOM through textContent.
 */
export const docsScript = String.raw`
"use strict";
(function () {
  var root = document.getElementById("operations");
  var nav = document.getElementById("nav");
  var spec;
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function resolve(schema) {
    var seen = 0;
    while (schema && schema.$ref && seen++ < 20) {
      var name = schema.$ref.split("/").pop();
      schema = (spec.components && spec.components.schemas || {})[name];
    }
    return schema || {};
  }
  function refName(schema) { return schema && schema.$ref ? schema.$ref.split("/").pop() : ""; }
  function typeOf(s) {
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.enum) return s.enum.map(function (v) { return JSON.stringify(v); }).join(" | ");
    if (Array.isArray(s.type)) return s.type.join(" | ");
    return s.type || (s.anyOf || s.oneOf ? "" : "any");
  }
  function constraints(s) {
    var out = [];
    if (s.format) out.push(s.format);
    if (s.minimum !== undefined) out.push(">= " + s.minimum);
    if (s.maximum !== undefined) out.push("<= " + s.maximum);
    if (s.minLength !== undefined) out.push("length >= " + s.minLength);
    if (s.maxLength !== undefined) out.push("length <= " + s.maxLength);
    if (s.minItems !== undefined) out.push("items >= " + s.minItems);
    if (s.maxItems !== undefined) out.push("items <= " + s.maxItems);
    if (s.pattern) out.push("/" + s.pattern + "/");
    if (s.default !== undefined) out.push("default " + JSON.stringify(s.default));
    return out.length ? "  (" + out.join(", ") + ")" : "";
  }
  function describe(schema, indent, depth) {
    var name = refName(schema);
    var s = resolve(schema);
    var pad = new Array(indent + 1).join("  ");
    if (depth > 6) return name || "…";
    var variants = s.anyOf || s.oneOf;
    if (variants) {
      return variants.map(function (v) { return describe(v, indent, depth + 1); }).join(" | ");
    }
    if (s.type === "array" && s.items) return "Array<" + describe(s.items, indent, depth + 1) + ">" + constraints(s);
    if (s.type === "object" || s.properties) {
      var required = s.required || [];
      var lines = Object.keys(s.properties || {}).map(function (key) {
        var prop = s.properties[key];
        var doc = resolve(prop).description;
        return pad + "  " + key + (required.indexOf(key) >= 0 ? "" : "?") + ": " +
          describe(prop, indent + 1, depth + 1) + constraints(resolve(prop)) + (doc ? "   // " + doc : "");
      });
      if (s.additionalProperties && !s.properties) {
        lines.push(pad + "  [key: string]: " + describe(s.additionalProperties, indent + 1, depth + 1));
      }
      return (name ? name + " " : "") + "{\n" + lines.join("\n") + "\n" + pad + "}";
    }
    return (name && !s.enum ? name + ": " : "") + typeOf(s);
  }
  function example(schema, depth) {
    var s = resolve(schema);
    if (depth > 6) return null;
    if (s.example !== undefined) return s.example;
    if (s.examples && s.examples.length) return s.examples[0];
    if (s.default !== undefined) return s.default;
    if (s.const !== undefined) return s.const;
    if (s.enum) return s.enum[0];
    if (s.anyOf || s.oneOf) return example((s.anyOf || s.oneOf)[0], depth + 1);
    var type = Array.isArray(s.type) ? s.type[0] : s.type;
    if (type === "array") return s.items ? [example(s.items, depth + 1)] : [];
    if (type === "object" || s.properties) {
      var out = {};
      Object.keys(s.properties || {}).forEach(function (k) { out[k] = example(s.properties[k], depth + 1); });
      return out;
    }
    if (type === "integer" || type === "number") return s.minimum !== undefined ? s.minimum : 0;
    if (type === "boolean") return false;
    if (type === "string") return "";
    return null;
  }
  function block(title, text) {
    return el("div", { class: "block" }, [el("h4", { text: title }), el("pre", { text: text })]);
  }
  function tryIt(path, method, op) {
    var form = el("form", { class: "try" });
    var inputs = {};
    (op.parameters || []).forEach(function (p) {
      var s = resolve(p.schema);
      var input = el("input", { name: p.name, placeholder: s.example !== undefined ? String(s.example) : "" });
      inputs[p.in + ":" + p.name] = input;
      form.appendChild(el("label", {}, [el("span", { text: p.name + " (" + p.in + ")" + (p.required ? " *" : "") }), input]));
    });
    var body;
    var json = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
    if (json) {
      body = el("textarea", { rows: "8" });
      body.value = JSON.stringify(example(json.schema, 0), null, 2);
      form.appendChild(el("label", {}, [el("span", { text: "body (application/json)" }), body]));
    }
    var output = el("pre", { class: "output" });
    var send = el("button", { type: "submit", text: "Send " + method.toUpperCase() + " " + path });
    form.appendChild(send);
    form.appendChild(output);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var url = path.replace(/\{([^}]+)\}/g, function (_, name) {
        var input = inputs["path:" + name];
        return encodeURIComponent(input ? input.value : "");
      });
      var query = new URLSearchParams();
      Object.keys(inputs).forEach(function (key) {
        if (key.indexOf("query:") === 0 && inputs[key].value !== "") query.append(key.slice(6), inputs[key].value);
      });
      var headers = {};
      Object.keys(inputs).forEach(function (key) {
        if (key.indexOf("header:") === 0 && inputs[key].value !== "") headers[key.slice(7)] = inputs[key].value;
      });
      var apiKey = document.getElementById("api-key").value;
      if (apiKey) headers.authorization = "Bearer " + apiKey;
      if (body) headers["content-type"] = "application/json";
      var started = performance.now();
      output.textContent = "…";
      var target = "." + url + (query.toString() ? "?" + query : "");
      fetch(target, { method: method.toUpperCase(), headers: headers, body: body ? body.value : undefined })
        .then(function (res) {
          return res.text().then(function (text) {
            var shown = text;
            try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON */ }
            var lines = [res.status + " " + res.statusText + " · " + Math.round(performance.now() - started) + " ms"];
            res.headers.forEach(function (value, name) { lines.push(name + ": " + value); });
            output.textContent = lines.join("\n") + "\n\n" + shown;
          });
        })
        .catch(function (error) { output.textContent = String(error); });
    });
    return form;
  }
  function operation(path, method, op) {
    var id = "op-" + (op.operationId || method + path).replace(/[^A-Za-z0-9_-]/g, "-");
    var section = el("section", { id: id, class: "op" }, [
      el("h3", {}, [el("span", { class: "method " + method, text: method.toUpperCase() }), el("code", { text: " " + path })]),
      el("p", { class: "summary", text: op.summary || "" }),
      op.description ? el("p", { class: "description", text: op.description }) : null,
    ]);
    if (op.deprecated) section.appendChild(el("p", { class: "deprecated", text: "Deprecated" }));
    if (op.parameters && op.parameters.length) {
      section.appendChild(block("Parameters", op.parameters.map(function (p) {
        var s = resolve(p.schema);
        return p.name + " (" + p.in + (p.required ? ", required" : "") + "): " + describe(p.schema, 0, 0) +
          constraints(s) + (p.description || s.description ? "\n    " + (p.description || s.description) : "");
      }).join("\n")));
    }
    var content = op.requestBody && op.requestBody.content || {};
    Object.keys(content).forEach(function (type) {
      section.appendChild(block("Request body · " + type, describe(content[type].schema || {}, 0, 0)));
    });
    Object.keys(op.responses || {}).forEach(function (status) {
      var response = op.responses[status];
      var types = Object.keys(response.content || {});
      var text = response.description + (types.length ? "\n\n" : "") + types.map(function (type) {
        // Every error has the same shape; the problem types section describes it once.
        if (type === "application/problem+json") return type + ": Problem (see Problem types below)";
        return type + ": " + describe(response.content[type].schema || {}, 0, 0);
      }).join("\n\n");
      section.appendChild(block("Response " + status, text));
    });
    section.appendChild(el("details", {}, [el("summary", { text: "Try it" }), tryIt(path, method, op)]));
    nav.appendChild(el("a", { href: "#" + id }, [el("span", { class: "method " + method, text: method.toUpperCase() }), document.createTextNode(" " + path)]));
    return section;
  }
  fetch("openapi.json").then(function (res) { return res.json(); }).then(function (doc) {
    spec = doc;
    document.getElementById("title").textContent = (doc.info.title || "API") + " " + (doc.info.version || "");
    document.getElementById("intro").textContent = doc.info.description || "";
    var byTag = {};
    Object.keys(doc.paths || {}).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        var tag = (op.tags && op.tags[0]) || "other";
        (byTag[tag] = byTag[tag] || []).push([path, method, op]);
      });
    });
    Object.keys(byTag).sort().forEach(function (tag) {
      root.appendChild(el("h2", { text: tag }));
      nav.appendChild(el("h5", { text: tag }));
      byTag[tag].forEach(function (entry) { root.appendChild(operation(entry[0], entry[1], entry[2])); });
    });
    if (location.hash) { var target = document.getElementById(location.hash.slice(1)); if (target) target.scrollIntoView(); }
  }).catch(function (error) { root.textContent = "Could not load openapi.json: " + error; });
})();
`;
