// @ts-check
import { api, session } from "../api.js";
import { announce, copyButton, errorBox, h, uid } from "../dom.js";
import { navigate } from "../nav.js";

/**
 * A plaintext key, shown this once (rapfs keeps only its digest), with a copy button.
 * Focus moves to its heading so the reader hears it appear.
 * @param {{title: string, key: string, note?: string}} spec
 */
export function keyReveal({ title, key, note }) {
  const inputId = uid("key");
  const warnId = uid("key-warning");
  const heading = h("h2", { tabindex: -1 }, title);
  const input = h("input", {
    id: inputId,
    class: "key-value",
    type: "text",
    readonly: true,
    value: key,
    spellcheck: "false",
    autocomplete: "off",
    "aria-describedby": warnId,
  });
  input.addEventListener("focus", () => input.select());
  const panel = h("section", { class: "notice success key-reveal", "aria-label": title }, [
    heading,
    h("p", { id: warnId }, [
      h("strong", {}, "Copy it now: this is the only time it is shown. "),
      "rapfs stores only a digest of it and cannot show it again.",
    ]),
    note ? h("p", {}, note) : null,
    h("label", { for: inputId }, "API key"),
    h("div", { class: "copy-row" }, [input, copyButton(() => key, "Copy the API key")]),
  ]);
  queueMicrotask(() => heading.focus());
  return panel;
}

/**
 * @param {HTMLElement} root
 */
export function renderSignup(root) {
  const emailId = uid("email");
  const nameId = uid("name");
  const result = h("div");
  const form = h("form", { class: "stack narrow" }, [
    h("div", { class: "field" }, [
      h("label", { for: emailId }, "Email"),
      h("input", {
        id: emailId,
        name: "email",
        type: "email",
        required: true,
        autocomplete: "email",
        maxlength: 254,
      }),
    ]),
    h("div", { class: "field" }, [
      h("label", { for: nameId }, ["Name ", h("span", { class: "hint" }, "(optional)")]),
      h("input", { id: nameId, name: "name", type: "text", autocomplete: "name", maxlength: 200 }),
    ]),
    h("button", { type: "submit" }, "Sign up and create a key"),
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const button = /** @type {HTMLButtonElement} */ (form.querySelector("button"));
    button.disabled = true;
    result.replaceChildren();
    try {
      const body = {
        email: String(data.get("email")),
        ...(data.get("name") ? { name: String(data.get("name")) } : {}),
      };
      const created = await api("v1/signup", { method: "POST", body, key: null });
      session.set(created.key.key);
      form.remove();
      const go = h("button", { type: "button" }, "I have stored it — open the feature catalog");
      go.addEventListener("click", () => navigate("#/catalog"));
      result.replaceChildren(
        keyReveal({
          title: "Your API key",
          key: created.key.key,
          note: `Account ${created.account.email} on the ${created.account.tier} tier. This tab is now signed in with the key; scopes: ${created.key.scopes.join(", ")}.`,
        }),
        go,
      );
    } catch (error) {
      button.disabled = false;
      result.replaceChildren(errorBox(error));
    }
  });
  root.append(
    h("h1", {}, "Sign up for a free API key"),
    h("p", { class: "lead" }, [
      "One key reads features, embeddings and datasets over REST, the SDK or this console. ",
      "Already have one? ",
      h("a", { href: "#/signin" }, "Sign in with your key"),
      ".",
    ]),
    form,
    result,
  );
}

/**
 * @param {HTMLElement} root
 * @param {{query: URLSearchParams}} route
 */
export function renderSignin(root, route) {
  const keyId = uid("key");
  const hintId = uid("key-hint");
  const result = h("div");
  const form = h("form", { class: "stack narrow" }, [
    h("div", { class: "field" }, [
      h("label", { for: keyId }, "API key"),
      h("input", {
        id: keyId,
        name: "key",
        type: "password",
        required: true,
        autocomplete: "off",
        spellcheck: "false",
        "aria-describedby": hintId,
      }),
      h(
        "p",
        { id: hintId, class: "hint" },
        "Starts with rapfs_. It is kept in this tab only and forgotten when the tab closes.",
      ),
    ]),
    h("button", { type: "submit" }, "Sign in"),
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = String(new FormData(form).get("key")).trim();
    const button = /** @type {HTMLButtonElement} */ (form.querySelector("button"));
    button.disabled = true;
    result.replaceChildren();
    try {
      // Any valid key may read its own usage: the cheapest way to check one.
      await api("v1/usage", { key, query: { days: 1 } });
      session.set(key);
      announce("Signed in.");
      const next = route.query.get("next");
      navigate(next?.startsWith("#/") && !next.startsWith("#/sign") ? next : "#/catalog");
    } catch (error) {
      button.disabled = false;
      result.replaceChildren(errorBox(error));
      /** @type {HTMLInputElement} */ (form.elements.namedItem("key")).focus();
    }
  });
  root.append(
    h("h1", {}, "Sign in with an API key"),
    route.query.get("expired")
      ? h(
          "p",
          { class: "notice warning" },
          "The key this tab used no longer works (revoked, rotated out or expired).",
        )
      : "",
    h("p", { class: "lead" }, ["No key yet? ", h("a", { href: "#/signup" }, "Sign up for a free one"), "."]),
    form,
    result,
  );
}
