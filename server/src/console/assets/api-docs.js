// @ts-check
/**
 * The API reference (/docs): Scalar's renderer, served by this server (docs/scalar/<hash>.js), over
 * openapi.json. "Try it" sends the key the console keeps in this tab (sessionStorage, as the
 * console does), and a key typed into the reference's auth field is kept there too, so it survives
 * a reload of the tab and nothing outlives it.
 */
import { session } from "./api.js";

/** @type {any} */
const Scalar = /** @type {any} */ (window).Scalar;

Scalar.createApiReference("#app", {
  url: "openapi.json",
  // Everything from this server: no web fonts from Scalar's CDN, no agent, no proxy, no telemetry.
  withDefaultFonts: false,
  agent: { disabled: true },
  telemetry: false,
  hideClientButton: true,
  showDeveloperTools: "never",
  persistAuth: false,
  authentication: {
    preferredSecurityScheme: "bearerAuth",
    securitySchemes: { bearerAuth: { token: session.key ?? "" } },
  },
  /** @param {{ request: Request }} event */
  onBeforeRequest({ request }) {
    const key = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
    if (key && key !== session.key) session.set(key);
  },
});
