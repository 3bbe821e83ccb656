/**
 * The request Scalar's "try it" sends on the first press of Send, built from the OpenAPI document
 * by the rules of @scalar/api-client 2.31 (v2/blocks/operation-block/helpers): each parameter's
 * value is its `examples.default`, else its `example` (when it has no `examples`), else its
 * schema's default, first enum value, first of `examples`, or `example`; an optional parameter
 * outside the path is left off unless that example says `x-disabled: false`; the body is the first
 * content type's `examples.default` or `example` (Scalar would otherwise make one up from the
 * schema, which is no documented example, so it is reported missing here).
 */
export type TryItRequest = { url: string; init: RequestInit; missing: string[] };

type Example = { value?: unknown; "x-disabled"?: unknown };
type Parameter = {
  name: string;
  in: string;
  required?: boolean;
  example?: unknown;
  examples?: Record<string, Example>;
  schema?: { default?: unknown; enum?: unknown[]; examples?: unknown[]; example?: unknown };
};
type Media = { example?: unknown; examples?: Record<string, Example> };
export type Operation = { parameters?: Parameter[]; requestBody?: { content?: Record<string, Media> } };

function exampleOf(holder: { example?: unknown; examples?: Record<string, Example> }): Example | undefined {
  const named = holder.examples?.default;
  if (named !== undefined) return named;
  const hasExamples = Object.keys(holder.examples ?? {}).length > 0;
  if (!hasExamples && holder.example !== undefined) return { value: holder.example };
  return undefined;
}

function parameterExample(parameter: Parameter): Example | undefined {
  const own = exampleOf(parameter);
  if (own) return own;
  const schema = parameter.schema ?? {};
  if (schema.default !== undefined) return { value: schema.default };
  if (schema.enum?.[0] !== undefined) return { value: schema.enum[0] };
  if (schema.examples?.[0] !== undefined) return { value: schema.examples[0] };
  if (schema.example !== undefined) return { value: schema.example };
  return undefined;
}

const isDisabled = (parameter: Parameter, example: Example) =>
  typeof example["x-disabled"] === "boolean"
    ? example["x-disabled"]
    : !parameter.required && parameter.in !== "path";

export function tryItRequest(method: string, path: string, operation: Operation, key: string): TryItRequest {
  const missing: string[] = [];
  const query = new URLSearchParams();
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  let url = path;
  for (const parameter of operation.parameters ?? []) {
    const example = parameterExample(parameter);
    if (!example) {
      if (parameter.required) missing.push(`${parameter.in} parameter ${parameter.name}`);
      continue;
    }
    if (isDisabled(parameter, example)) continue;
    const value = example.value;
    if (parameter.in === "path") url = url.replace(`{${parameter.name}}`, encodeURIComponent(String(value)));
    else if (parameter.in === "header") headers[parameter.name] = String(value);
    else if (parameter.in === "query") {
      for (const item of Array.isArray(value) ? value : [value]) query.append(parameter.name, String(item));
    }
  }
  let body: string | undefined;
  const content = operation.requestBody?.content;
  const type = Object.keys(content ?? {})[0];
  if (content && type) {
    const example = exampleOf(content[type] ?? {});
    if (!example) missing.push(`${type} body example`);
    else {
      headers["content-type"] = type;
      body = typeof example.value === "string" ? example.value : JSON.stringify(example.value);
    }
  }
  const search = query.toString();
  return {
    url: search ? `${url}?${search}` : url,
    init: { method: method.toUpperCase(), headers, ...(body === undefined ? {} : { body }) },
    missing,
  };
}
