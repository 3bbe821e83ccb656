import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { supplyBodyText } from "../../src/api/middleware/body";

// The online reads' body is read from Node's stream and handed to Hono through its body cache,
// which Hono keeps without a public way to fill it. These pin what that relies on.
describe("a body supplied to Hono ahead of its readers (api/middleware/body.ts)", () => {
  const route = createRoute({
    method: "post",
    path: "/echo",
    request: {
      body: { content: { "application/json": { schema: z.object({ ids: z.array(z.string()) }) } } },
    },
    responses: { 200: { description: "the body as read" } },
  });

  function app() {
    const hono = new OpenAPIHono();
    hono.use(async (c, next) => {
      supplyBodyText(c, '{"ids":["supplied"]}');
      await next();
    });
    return hono;
  }

  const post = (hono: OpenAPIHono) =>
    hono.request("/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"ids":["from the request"]}',
    });

  it("is what the route's JSON validator parses, not the request's own body", async () => {
    const hono = app();
    hono.openapi(route, (c) => c.json(c.req.valid("json"), 200));
    expect(await (await post(hono)).json()).toEqual({ ids: ["supplied"] });
  });

  it("is what c.req.text() and c.req.json() read", async () => {
    const hono = app();
    hono.post("/echo", async (c) => c.json({ text: await c.req.text(), json: await c.req.json() }));
    expect(await (await post(hono)).json()).toEqual({
      text: '{"ids":["supplied"]}',
      json: { ids: ["supplied"] },
    });
  });
});
